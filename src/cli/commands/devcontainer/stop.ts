// `pks devcontainer stop`: the declaration; the work is in stop-run.ts, loaded on demand.

import type { Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { parseNonNegativeInt } from '../../options.js';
import { examples } from '../examples.js';
import { OTHER_USER_HELP, containerCommand } from './container-command.js';

export function define(parent: Command, ctx: Context): void {
  containerCommand(parent, 'stop', 'stop a dev container')
    .option('--other-user', OTHER_USER_HELP)
    .option('--timeout <seconds>', 'seconds to wait before killing', parseNonNegativeInt)
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer stop api', 'stop it; the container and its volume stay'],
        ['pks devcontainer stop api --remote hetzner --timeout 0', 'stop at once on a remote host'],
      ]),
    )
    .action(async (container, options) => (await import('./stop-run.js')).runStop(ctx, container, options));
}
