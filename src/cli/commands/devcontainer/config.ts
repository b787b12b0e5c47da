// `pks devcontainer config`: the declaration; the work is in config-run.ts, loaded on demand.

import type { Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { formatOption } from '../../options.js';
import { examples } from '../examples.js';

export function define(parent: Command, ctx: Context): void {
  parent
    .command('config')
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
    .action(async (projectPath, options) => (await import('./config-run.js')).runConfigCommand(ctx, projectPath, options));
}
