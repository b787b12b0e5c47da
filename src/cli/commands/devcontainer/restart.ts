// `pks devcontainer restart`: the declaration; the work is in restart-run.ts, loaded on demand.

import type { Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { examples } from '../examples.js';
import { OTHER_USER_HELP, containerCommand } from './container-command.js';

export function define(parent: Command, ctx: Context): void {
  containerCommand(parent, 'restart', 'restart a dev container')
    .option('--other-user', OTHER_USER_HELP)
    .addHelpText('after', examples([['pks devcontainer restart api --remote hetzner', 'stop and start it (postStartCommand runs)']]))
    .action(async (container, options) => (await import('./restart-run.js')).runRestart(ctx, container, options));
}
