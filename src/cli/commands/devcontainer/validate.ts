// `pks devcontainer validate`: the declaration; the work is in validate-run.ts, loaded on demand.

import type { Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { formatOption } from '../../options.js';
import { examples } from '../examples.js';

export function define(parent: Command, ctx: Context): void {
  parent
    .command('validate')
    .description('check a devcontainer.json without any engine')
    .argument('[path]', 'project folder', '.')
    .option('--config <file>', 'devcontainer.json to use')
    .addOption(formatOption())
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer validate', 'check the current folder\'s configuration (syntax, schema, Features)'],
        ['pks devcontainer validate --format json', 'the verdict and the warnings as JSON (an invalid one: the error outcome, exit 1)'],
      ]),
    )
    .action(async (projectPath, options) => (await import('./validate-run.js')).runValidateCommand(ctx, projectPath, options));
}
