// `pks devcontainer exec`: the declaration; the work is in exec-run.ts, loaded on demand.

import type { Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { collectKeyValue, parseNonEmpty } from '../../options.js';
import { examples } from '../examples.js';
import { containerCommand } from './container-command.js';

export function define(parent: Command, ctx: Context): void {
  containerCommand(parent, 'exec', 'run a command in a dev container')
    .argument('[command...]', 'command and its arguments: everything after the container, options included (-- before it is optional)')
    .option('-i, --interactive', 'forward stdin')
    .option('-t, --tty', 'allocate a terminal')
    .option('-u, --user <user>', 'user to run as (default: the remote user)', parseNonEmpty)
    .option('-w, --workdir <dir>', 'working directory (default: the workspace folder)', parseNonEmpty)
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collectKeyValue, [] as string[])
    .option('--no-ssh-agent', 'do not forward this machine\'s SSH agent into the container (also PKS_NO_SSH_AGENT=1)')
    // As `docker exec`: options are pks's up to the container, the command's after it.
    .passThroughOptions()
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer exec api npm test', 'run a command; its exit code is pks\'s'],
        ['pks devcontainer exec -it api bash', 'an interactive terminal'],
        ['pks devcontainer exec api ls -la', 'options after the container are the command\'s'],
        ['pks devcontainer exec -- ls -la', 'in the current folder\'s dev container (-- says no container is named)'],
        ['pks devcontainer exec -u root -e DEBUG=1 api apt-get update', 'as another user, with a variable'],
      ]),
    )
    .action(async (container, command, options, self) => {
      const { runExec, rootArgs } = await import('./exec-run.js');
      await runExec(ctx, container, command, options, rootArgs(self));
    });
}
