// `pks devcontainer rm`: the declaration; the work is in rm-run.ts, loaded on demand.

import type { Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { examples } from '../examples.js';
import { OTHER_USER_HELP, containerCommand } from './container-command.js';

export function define(parent: Command, ctx: Context): void {
  containerCommand(parent, 'rm', 'remove a dev container (the workspace volume is kept unless --volumes)')
    .option('--other-user', OTHER_USER_HELP)
    .option('--volumes', 'also remove the workspace volume')
    .option('-f, --force', 'remove even if running, without asking (as docker rm -f)')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer rm api', 'remove a stopped container; its workspace volume is kept'],
        ['pks devcontainer rm -f api --volumes', 'remove it running, with its volume, without asking'],
        ['pks devcontainer rm api --remote shared --other-user', 'remove a container another local user spawned (ask them first)'],
      ]),
    )
    .action(async (container, options) => (await import('./rm-run.js')).runRm(ctx, container, options));
}
