// `pks remote disconnect`: ends warm connections (their holder processes).

import { disconnectHolders } from '../../../core/remote/warm-connection.js';
import type { Context } from '../../context.js';
import type { OutputFormat } from '../../options.js';
import { present } from '../../present.js';

export async function remoteDisconnect(ctx: Context, id: string | undefined, flags: { format: OutputFormat }): Promise<void> {
  const ended = await disconnectHolders(ctx.env, id);
  present(ctx.reporter, flags.format, ended, {
    json: (holders) => ({ disconnected: holders.map((holder) => ({ id: holder.hostId, pid: holder.pid })) }),
    text(holders, reporter) {
      if (holders.length === 0) {
        reporter.info(id === undefined ? 'No warm connections.' : `Remote host "${id}" has no warm connection.`);
        return;
      }
      for (const holder of holders) reporter.success(`Disconnected remote host "${holder.hostId}" (${holder.login}, pid ${holder.pid}).`);
    },
  });
}
