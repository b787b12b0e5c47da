// `pks remote list`: the registered hosts, as a table or the registry as JSON.

import { describeEngineProduct } from '../../../engine/engine-product.js';
import { resolveRemoteTarget } from '../../../core/remote/host-ssh-target.js';
import { warmHolders } from '../../../core/remote/warm-connection.js';
import type { RemoteHost } from '../../../store/remote-host-store.js';
import { UserConfigStore } from '../../../store/user-config.js';
import type { Context } from '../../context.js';
import { defaultRemote } from '../../defaults.js';
import type { OutputFormat } from '../../options.js';
import { present, type View } from '../../present.js';
import { relativeTime } from '../../relative-time.js';
import { renderTable } from '../../table.js';
import { storeOf } from './host-checks.js';

/**
 * Where pks connects, as ssh_config resolves it (HostName, User, Port of an
 * alias; the local user by default), with the alias when there is one; and
 * with which key (the registered one, else the alias's).
 */
function effectiveLogin(ctx: Context, host: RemoteHost): { address: string; key: string } {
  const { options, sshConfig } = resolveRemoteTarget(host, { env: ctx.env });
  const login = `${options.username}@${options.host}:${options.port ?? 22}`;
  const identities = sshConfig.identityFiles;
  return {
    address: options.host === host.host ? login : `${host.host} → ${login}`,
    key: host.key ?? (identities.length > 0 ? identities.join(', ') : '(ssh default)'),
  };
}

type ListedHost = RemoteHost & { warm: boolean; isDefault: boolean };

export async function remoteList(ctx: Context, flags: { format: OutputFormat }): Promise<void> {
  const [hosts, holders, config] = await Promise.all([storeOf(ctx).list(), warmHolders(ctx.env), UserConfigStore.fromEnv(ctx.env).read()]);
  const warm = new Set(holders.map((holder) => holder.hostId));
  const fallback = defaultRemote(ctx.env, config)?.id;
  present(ctx.reporter, flags.format, hosts.map((host) => ({ ...host, warm: warm.has(host.id), isDefault: host.id === fallback })), remoteListView(ctx));
}

/**
 * The JSON document is the registry's entries, every field present (null when
 * absent), plus `warm` (a warm connection is held for the host) and
 * `default` (commands use it when --remote is not given); the table
 * adds where ssh_config leads.
 */
function remoteListView(ctx: Context): View<ListedHost[]> {
  return {
    // Every field of an entry, an absent one as null (an alias host has no user, port or key of its own).
    json: (hosts) =>
      hosts.map((host) => ({
        id: host.id,
        host: host.host,
        user: host.user ?? null,
        port: host.port ?? null,
        key: host.key ?? null,
        dockerSocket: host.dockerSocket,
        addedAt: host.addedAt,
        lastTestedAt: host.lastTestedAt ?? null,
        capabilities: host.capabilities ?? null,
        warm: host.warm,
        default: host.isDefault,
      })),
    text(hosts, reporter) {
      if (hosts.length === 0) {
        reporter.info('No remote hosts registered. Add one with: pks remote add <id> --host <host> [--user <user>] [--key <path>]');
        return;
      }
      // ssh_config is read once per host.
      const rows = hosts.map((host) => ({ host, ...effectiveLogin(ctx, host) }));
      reporter.data(
        renderTable(
          [
            { header: 'ID', value: (r: (typeof rows)[number]) => (r.host.isDefault ? `${r.host.id} (default)` : r.host.id) },
            { header: 'ADDRESS', value: (r) => r.address },
            { header: 'KEY', value: (r) => r.key },
            { header: 'ENGINE', value: (r) => (r.host.capabilities === undefined ? '-' : describeEngineProduct({ name: r.host.capabilities.engine ?? 'docker', version: r.host.capabilities.engineVersion })) },
            { header: 'LAST TESTED', value: (r) => relativeTime(r.host.lastTestedAt) },
            { header: 'WARM', value: (r) => (r.host.warm ? 'yes' : '-') },
          ],
          rows,
        ),
      );
    },
  };
}
