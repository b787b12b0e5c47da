// `pks devcontainer ...`: spawn dev containers and manage them for their whole
// life. Declarations only; each action loads its implementation on demand.

import { Command, Option } from '@commander-js/extra-typings';
import type { Context } from '../context.js';
import { collectKeyValue, formatOption, parseNonEmpty, parseNonNegativeInt, parseVolumeName, refuseBothForms, remoteOption } from '../options.js';
import { examples } from './examples.js';

const TARGET_ARGUMENT = 'project name, container name or ID prefix (default: the current folder\'s project)';

/** A subcommand that acts on one existing dev container. */
function containerCommand(parent: Command, name: string, description: string) {
  return parent.command(name).description(description).argument('[container]', TARGET_ARGUMENT).addOption(remoteOption());
}

const OTHER_USER_HELP = 'act on a dev container another local user spawned (pks.spawned.by)';

export function devcontainerCommand(ctx: Context) {
  void ctx;
  const dc = new Command('devcontainer')
    .alias('dc')
    .description('spawn and manage dev containers, locally or on a remote host')
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer spawn', 'spawn the current folder\'s dev container on the local engine'],
        ['pks devcontainer spawn ~/src/api --remote hetzner', 'spawn on a registered remote host'],
        ['pks devcontainer list --all-remotes', 'running dev containers everywhere'],
        ['pks devcontainer connect api --remote hetzner', 'reopen VS Code in an existing container'],
      ]),
    );

  const spawn = dc
    .command('spawn')
    .description('create (or reuse) the dev container for a project folder and start it')
    .argument('[path]', 'project folder', '.')
    .addOption(remoteOption())
    .option('--name <project>', 'project name (default: the folder name)', parseNonEmpty)
    .option('--volume-name <name>', 'workspace volume name', parseVolumeName)
    .option('--rebuild', 'always rebuild the container')
    .option('--no-rebuild', 'reuse the existing container even if the config changed')
    .option('--auto-rebuild', 'rebuild only when the configuration changed (default)')
    .option('--force', 'replace an existing container (the workspace volume is kept)')
    .addOption(new Option('--prefer <side>', 'which copy wins when .devcontainer differs').choices(['host', 'container'] as const))
    .option('--include-ignored', 'also upload files that .gitignore excludes')
    .option('--no-launch', 'do not open VS Code once the container is ready')
    .addOption(new Option('--ide <ide>', 'editor to open (default: code, else code-insiders)').choices(['code', 'code-insiders', 'none'] as const))
    .option('--config <file>', 'devcontainer.json to use (when the project has several)')
    .option('-y, --yes', 'answer yes to confirmations')
    .addOption(new Option('--format <format>', 'result format').choices(['text', 'json'] as const).default('text' as const))
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer spawn examples/hello', 'spawn a project folder on the local engine'],
        ['pks devcontainer spawn --remote hetzner --format json', 'spawn on a remote host, print one JSON outcome'],
        ['pks devcontainer spawn --rebuild', 'rebuild even if the configuration did not change (the workspace volume is kept)'],
      ]),
    )
    .action(async (projectPath, flags) => (await import('./devcontainer/spawn-run.js')).spawnCommand(ctx, projectPath, flags));
  refuseBothForms(spawn, 'rebuild');

  dc.command('list')
    .alias('ls')
    .description('list dev containers managed by pks')
    .addOption(remoteOption())
    .option('--all-remotes', 'query the local engine and every registered host')
    .option('-a, --all', 'include stopped containers')
    .option('--include-foreign', 'include dev containers created by VS Code or the Dev Container CLI')
    .option('--all-users', 'include the dev containers other local users spawned (adds an OWNER column)')
    .addOption(formatOption())
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer list', 'running dev containers on the local engine'],
        ['pks devcontainer list --remote hetzner --all', 'all on a remote host, stopped ones too'],
        ['pks devcontainer list --all-remotes --format json', 'everywhere, as JSON'],
        ['pks devcontainer list --remote hetzner --all-users', 'everyone\'s on a shared host, with their owners'],
      ]),
    )
    .action(async (options) => {
      const { runList } = await import('./devcontainer/list-run.js');
      await runList(ctx, options);
    });

  containerCommand(dc, 'connect', 'open a dev container in VS Code (or print how to reach it)')
    .option('--restart-if-stopped', 'start the container if it is stopped')
    .option('--no-launch', 'do not open an editor')
    .option('--print-uri', 'print only the editor URI on stdout')
    .addOption(new Option('--ide <ide>', 'editor to open').choices(['code', 'code-insiders', 'none'] as const))
    .option('-y, --yes', 'answer yes to confirmations')
    .action(async (query, flags) => (await import('./devcontainer/connect-run.js')).connectCommand(ctx, query, flags))
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer connect api --remote hetzner', 'reopen VS Code in a remote container'],
        ['pks devcontainer connect --print-uri', 'only print the vscode-remote:// URI of the current folder\'s container'],
        ['pks devcontainer connect api --restart-if-stopped --ide code-insiders', 'start it if needed, open in Insiders'],
      ]),
    );

  containerCommand(dc, 'shell', 'open an interactive login shell in a dev container')
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer shell', 'a shell in the current folder\'s dev container'],
        ['pks devcontainer shell api --remote hetzner', 'in a container on a remote host'],
      ]),
    )
    .action(async (query, flags) => (await import('./devcontainer/connect-run.js')).shellCommand(ctx, query, flags));
  containerCommand(dc, 'stop', 'stop a dev container')
    .option('--other-user', OTHER_USER_HELP)
    .option('--timeout <seconds>', 'seconds to wait before killing', parseNonNegativeInt)
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer stop api', 'stop it; the container and its volume stay'],
        ['pks devcontainer stop api --remote hetzner --timeout 0', 'stop at once on a remote host'],
      ]),
    )
    .action(async (container, options) => {
      const { runStop } = await import('./devcontainer/rm-run.js');
      await runStop(ctx, container, options);
    });
  containerCommand(dc, 'start', 'start a stopped dev container')
    .addHelpText('after', examples([['pks devcontainer start api', 'start it again (postStartCommand runs)']]))
    .action(async (container, options) => (await import('./devcontainer/rm-run.js')).runStart(ctx, container, options));
  containerCommand(dc, 'restart', 'restart a dev container')
    .option('--other-user', OTHER_USER_HELP)
    .addHelpText('after', examples([['pks devcontainer restart api --remote hetzner', 'stop and start it (postStartCommand runs)']]))
    .action(async (container, options) => (await import('./devcontainer/rm-run.js')).runRestart(ctx, container, options));
  containerCommand(dc, 'logs', 'show a dev container\'s output')
    .option('-f, --follow', 'keep streaming new output')
    .option('--tail <n>', 'only the last n lines', parseNonNegativeInt)
    .option('--timestamps', 'prefix each line with its time')
    .option('--since <time>', 'only output since a time (RFC 3339, or relative like 10m)')
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer logs api --tail 50', 'the last 50 lines'],
        ['pks devcontainer logs api --follow --since 10m', 'the last ten minutes, then new output until Ctrl-C'],
      ]),
    )
    .action(async (container, options) => {
      const { runLogs } = await import('./devcontainer/exec-run.js');
      await runLogs(ctx, container, options);
    });
  containerCommand(dc, 'exec', 'run a command in a dev container')
    .argument('[command...]', 'command and arguments (after --)')
    .option('-i, --interactive', 'forward stdin')
    .option('-t, --tty', 'allocate a terminal')
    .option('--user <user>', 'user to run as (default: the remote user)', parseNonEmpty)
    .option('--workdir <dir>', 'working directory (default: the workspace folder)', parseNonEmpty)
    .option('--env <KEY=VALUE>', 'environment variable (repeatable)', collectKeyValue, [] as string[])
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer exec api -- npm test', 'run a command; its exit code is pks\'s'],
        ['pks devcontainer exec -it api -- bash', 'an interactive terminal'],
        ['pks devcontainer exec -- ls -la', 'in the current folder\'s dev container'],
        ['pks devcontainer exec api --user root --env DEBUG=1 -- apt-get update', 'as another user, with a variable'],
      ]),
    )
    .action(async (container, command, options, self) => {
      const { runExec, rootArgs } = await import('./devcontainer/exec-run.js');
      await runExec(ctx, container, command, options, rootArgs(self));
    });
  containerCommand(dc, 'rm', 'remove a dev container (the workspace volume is kept unless --volumes)')
    .option('--other-user', OTHER_USER_HELP)
    .option('--volumes', 'also remove the workspace volume')
    .option('--force', 'remove even if running')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer rm api', 'remove a stopped container; its workspace volume is kept'],
        ['pks devcontainer rm api --force --yes --volumes', 'remove it running, with its volume, without asking'],
        ['pks devcontainer rm api --remote shared --other-user', 'remove a container another local user spawned (ask them first)'],
      ]),
    )
    .action(async (container, options) => {
      const { runRm } = await import('./devcontainer/rm-run.js');
      await runRm(ctx, container, options);
    });
  containerCommand(dc, 'rebuild', 'rebuild a dev container from its configuration, keeping the workspace volume')
    .option('--other-user', OTHER_USER_HELP)
    .option('--no-cache', 'build the image without the engine\'s layer cache')
    .addOption(new Option('--prefer <side>', 'which copy wins when .devcontainer was edited inside the container').choices(['host', 'container'] as const))
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer rebuild', 'rebuild the current folder\'s dev container; files in the workspace stay'],
        ['pks devcontainer rebuild api --remote hetzner --no-cache', 'rebuild the image from scratch on a remote host'],
      ]),
    )
    .addOption(new Option('--format <format>', 'result format').choices(['text', 'json'] as const).default('text' as const))
    .action(async (query, flags) => (await import('./devcontainer/rebuild-run.js')).rebuildCommand(ctx, query, flags));
  containerCommand(dc, 'inspect', 'show everything pks knows about a dev container')
    .addOption(formatOption())
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer inspect api --remote hetzner --format json', 'labels, workspace, user, image and state as JSON'],
      ]),
    )
    .action(async (container, options) => {
      const { runInspect } = await import('./devcontainer/rm-run.js');
      await runInspect(ctx, container, options);
    });

  dc.command('config')
    .description('print the resolved dev container configuration and its hash')
    .argument('[path]', 'project folder', '.')
    .option('--config <file>', 'devcontainer.json to use')
    .addOption(formatOption())
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer config ~/src/api --format json', 'the configuration as spawn would use it, with its hash'],
      ]),
    )
    .action(async (projectPath, options) => {
      const { runConfigCommand } = await import('./devcontainer/config-run.js');
      await runConfigCommand(ctx, projectPath, options);
    });
  dc.command('validate')
    .description('check a devcontainer.json without any engine')
    .argument('[path]', 'project folder', '.')
    .option('--config <file>', 'devcontainer.json to use')
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer validate', 'check the current folder\'s configuration (syntax, schema, Features)'],
      ]),
    )
    .action(async (projectPath, options) => {
      const { runValidateCommand } = await import('./devcontainer/config-run.js');
      await runValidateCommand(ctx, projectPath, options);
    });

  return dc;
}
