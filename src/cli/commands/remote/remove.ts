// `pks remote remove`: the declaration; the work is in remove-run.ts, loaded on demand.

import { Option, type Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { parseRemoteId } from '../../options.js';
import { examples } from '../examples.js';
import { timeoutOption } from './timeout-option.js';

export function define(parent: Command, ctx: Context): void {
  parent
    .command('remove')
    .alias('rm')
    .description('forget a remote host (its containers are not touched)')
    .argument('<id>', 'remote host id', parseRemoteId)
    .addOption(new Option('-y, --yes', 'do not ask for confirmation'))
    .addOption(timeoutOption(5))
    .addHelpText(
      'after',
      examples([
        ['pks remote remove hetzner --yes', 'forget the host; its containers keep running there'],
      ]),
    )
    .action(async (id, flags) => (await import('./remove-run.js')).remoteRemove(ctx, id, flags));
}
