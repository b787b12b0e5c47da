// `pks remote disconnect`: the declaration; the work is in disconnect-run.ts, loaded on demand.

import { Option, type Command } from '@commander-js/extra-typings';
import { UsageError } from '../../../common/errors.js';
import type { Context } from '../../context.js';
import { formatOption, parseRemoteId } from '../../options.js';
import { examples } from '../examples.js';

export function define(parent: Command, ctx: Context): void {
  parent
    .command('disconnect')
    .description("end a host's warm SSH connection (the next command opens a new one)")
    .argument('[id]', 'remote host id', parseRemoteId)
    .addOption(new Option('--all', 'end the warm connections to every host'))
    .addOption(formatOption())
    .addHelpText(
      'after',
      examples([
        ['pks remote disconnect hetzner', "end hetzner's warm connection"],
        ['pks remote disconnect --all', 'end every warm connection'],
      ]),
    )
    .action(async (id, flags) => {
      if ((id === undefined) === (flags.all !== true)) {
        throw new UsageError('Name one remote host, or pass --all.', { hint: 'pks remote disconnect <id> | pks remote disconnect --all' });
      }
      await (await import('./disconnect-run.js')).remoteDisconnect(ctx, id, flags);
    });
}
