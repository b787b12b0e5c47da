// `pks devcontainer spawn`: the declaration; the work is in spawn-run.ts, loaded on demand.

import { Option, type Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { IDE_CHOICES } from '../../editors.js';
import { parseNonEmpty, parseVolumeName, refuseBothForms, remoteOption } from '../../options.js';
import { examples } from '../examples.js';

export function define(parent: Command, ctx: Context): void {
  const spawn = parent
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
    .option('--no-git-identity', 'do not copy this machine\'s git user.name/user.email into a new container')
    .option('--dotfiles-repository <url|owner/repo>', 'dotfiles to clone (inside the container) and install once, after postCreateCommand', parseNonEmpty)
    .option('--dotfiles-install-command <command>', 'run this in the clone (default: the first of install.sh, install, bootstrap.sh, …; none: link the dotfiles)', parseNonEmpty)
    .option('--dotfiles-target-path <path>', 'where to clone the dotfiles (default: ~/dotfiles)', parseNonEmpty)
    .option('--no-ssh-agent', 'do not forward this machine\'s SSH agent into the container (also PKS_NO_SSH_AGENT=1)')
    .option('--no-launch', 'do not open VS Code once the container is ready')
    .addOption(new Option('--ide <ide>', 'editor to open (default: the first of code, code-insiders, cursor, windsurf on PATH)').choices(IDE_CHOICES))
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
    .action(async (projectPath, flags) => (await import('./spawn-run.js')).spawnCommand(ctx, projectPath, flags));
  refuseBothForms(spawn, 'rebuild');
}
