// `pks devcontainer start`: the declaration; the work is in start-run.ts, loaded on demand.

import type { Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { examples } from '../examples.js';
import { containerCommand } from './container-command.js';

export function define(parent: Command, ctx: Context): void {
  containerCommand(parent, 'start', 'start a stopped dev container')
    .addHelpText('after', examples([['pks devcontainer start api', 'start it again (postStartCommand runs)']]))
    .action(async (container, options) => (await import('./start-run.js')).runStart(ctx, container, options));
}
