// `pks devcontainer inspect`: the declaration; the work is in inspect-run.ts, loaded on demand.

import type { Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { formatOption } from '../../options.js';
import { examples } from '../examples.js';
import { containerCommand } from './container-command.js';

export function define(parent: Command, ctx: Context): void {
  containerCommand(parent, 'inspect', 'show everything pks knows about a dev container')
    .addOption(formatOption())
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer inspect api --remote hetzner --format json', 'labels, workspace, user, image and state as JSON'],
      ]),
    )
    .action(async (container, options) => (await import('./inspect-run.js')).runInspect(ctx, container, options));
}
