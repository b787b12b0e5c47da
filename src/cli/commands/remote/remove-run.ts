// `pks remote remove`: forget a host; its containers are not touched.

import { countManagedContainers } from '../../../core/remote/remote-hosts.js';
import { resolveRemoteTarget } from '../../../core/remote/host-ssh-target.js';
import { disconnectHolders } from '../../../core/remote/warm-connection.js';
import { describeHost } from '../../../store/remote-host-store.js';
import { UserConfigStore } from '../../../store/user-config.js';
import type { Context } from '../../context.js';
import { refreshAliases, storeOf, timeoutMs } from './host-checks.js';

export async function remoteRemove(ctx: Context, id: string, flags: { yes?: boolean; timeout?: number }): Promise<void> {
  const store = storeOf(ctx);
  const entry = await store.require(id);
  const target = resolveRemoteTarget(entry, { env: ctx.env, timeoutMs: timeoutMs(flags.timeout ?? 5) });
  const count = await countManagedContainers(target);
  const what =
    count.status === 'counted'
      ? `${count.count} pks-managed container${count.count === 1 ? ' on it will be left as it is' : 's on it will be left as they are'}`
      : `its containers (if any) will be left as they are; pks could not reach it to count them (${count.reason.replace(/\.$/, '')})`;
  if (flags.yes !== true) {
    const yes = await ctx.prompter.confirm(`Forget remote host "${id}" (${describeHost(entry)})? ${what}.`, { flag: '--yes' });
    if (!yes) {
      ctx.reporter.info('Nothing removed.');
      return;
    }
  }
  await store.remove(id);
  // A forgotten host keeps no warm connection.
  await disconnectHolders(ctx.env, id);
  await refreshAliases(ctx, store);
  ctx.reporter.success(`Removed remote host "${id}". ${what.charAt(0).toUpperCase()}${what.slice(1)}.`);
  // A default naming a forgotten host would fail every later command.
  const config = UserConfigStore.fromEnv(ctx.env);
  if ((await config.read()).defaultRemote === id) {
    await config.setDefaultRemote(undefined);
    ctx.reporter.info(`It was the default remote: commands use the local engine again unless --remote is given.`);
  }
}
