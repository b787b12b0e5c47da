// `pks devcontainer logs`: the declaration; the work is in logs-run.ts, loaded on demand.

import { Option, type Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { parseNonNegativeInt } from '../../options.js';
import { examples } from '../examples.js';
import { containerCommand } from './container-command.js';

export function define(parent: Command, ctx: Context): void {
  containerCommand(parent, 'logs', 'show a dev container\'s output')
    .option('-f, --follow', 'keep streaming new output')
    .option('--tail <n>', 'only the last n lines', parseNonNegativeInt)
    .option('--timestamps', 'prefix each line with its time')
    .option('--since <time>', 'only output since a time (RFC 3339, or relative like 10m)')
    .option('--hooks', 'only the lifecycle hooks\' output and exit codes, as recorded in the container')
    .addOption(new Option('--format <format>', 'text: the container\'s own bytes; json: one JSON object per line (stream, time, text)').choices(['text', 'json'] as const).default('text' as const))
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer logs api --tail 50', 'the last 50 lines'],
        ['pks devcontainer logs api --follow --since 10m', 'the last ten minutes, then new output until Ctrl-C'],
        ['pks devcontainer logs --hooks api', 'what each lifecycle hook printed, and how it ended'],
        ['pks devcontainer logs api --format json --follow', 'one JSON object per line, for scripts'],
      ]),
    )
    .action(async (container, options) => (await import('./logs-run.js')).runLogs(ctx, container, options));
}
