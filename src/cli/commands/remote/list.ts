// `pks remote list`: the declaration; the work is in list-run.ts, loaded on demand.

import type { Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { formatOption } from '../../options.js';
import { examples } from '../examples.js';

export function define(parent: Command, ctx: Context): void {
  parent
    .command('list')
    .alias('ls')
    .description('list registered remote hosts')
    .addOption(formatOption())
    .addHelpText(
      'after',
      examples([
        ['pks remote list', 'ids, where pks connects, keys, engines'],
        ['pks remote list --format json', 'the registry as JSON'],
      ]),
    )
    .action(async (flags) => (await import('./list-run.js')).remoteList(ctx, flags));
}
