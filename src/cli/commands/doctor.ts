// `pks doctor`: the declaration; the work is in doctor/doctor-run.ts, loaded on demand.

import { Command } from '@commander-js/extra-typings';
import type { Context } from '../context.js';
import { formatOption, parsePositiveInt } from '../options.js';
import { examples } from './examples.js';

export function doctorCommand(ctx: Context) {
  return new Command('doctor')
    .description('check everything pks needs — Node.js, the local engine, every registered host, the SSH Include, git, the editor — and say how to fix what is not right')
    .option('--no-remotes', 'skip the registered hosts (only what is on this machine)')
    .option('--timeout <seconds>', 'connect timeout for each remote host (default: 10)', parsePositiveInt)
    .addOption(formatOption())
    .addHelpText(
      'after',
      examples([
        ['pks doctor', 'one report, with the fix for each problem'],
        ['pks doctor --no-remotes --format json', 'this machine only, as JSON'],
      ]),
    )
    .action(async (options) => (await import('./doctor/doctor-run.js')).runDoctor(ctx, options));
}
