// `list` across engines: the local one and every registered remote host, all
// queried at once, so the wall time is that of the slowest host, not the sum.
// A host that fails is reported with its error; the others are still listed.

import type { RetryPolicy } from '../../common/retry.js';
import type { EngineClient } from '../../engine/index.js';
import type { SshPrompts } from '../../ssh/index.js';
import { listDevcontainers, type DevcontainerSummary, type ListOptions } from './discovery.js';
import { openEngineTarget } from '../remote/engine-target.js';
import { LOCAL_HOST_ID } from './labels.js';

export type HostListing =
  | { host: string; description: string; ok: true; containers: DevcontainerSummary[] }
  | { host: string; description: string; ok: false; error: unknown };

export interface ListHostsOptions extends ListOptions {
  env: NodeJS.ProcessEnv;
  /** One registered host instead of the local engine. */
  remote?: string | undefined;
  /** The local engine and every registered host. */
  allRemotes?: boolean;
  /** Only for a single host: with several in parallel no question is asked. */
  prompts?: SshPrompts;
  /** SSH connect timeout per host. */
  timeoutMs?: number;
  /** How transient failures are retried and announced (each host on its own). */
  retry?: RetryPolicy | undefined;
}

async function listThenClose(engine: EngineClient, host: string, options: ListOptions): Promise<DevcontainerSummary[]> {
  try {
    return await listDevcontainers(engine, host, options);
  } finally {
    await engine.close();
  }
}

/** Lists one engine; its failure is thrown, as for any single-engine command. */
export async function listOneHost(options: ListHostsOptions): Promise<HostListing> {
  const target = await openEngineTarget({
    env: options.env,
    remote: options.remote,
    prompts: options.prompts,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
  });
  const containers = await listThenClose(target.engine, target.hostId, options);
  return { host: target.hostId, description: target.description, ok: true, containers };
}

/** The local engine first, then the registered hosts in registry order; never throws for one host. */
export async function listAllHosts(options: ListHostsOptions): Promise<HostListing[]> {
  const remote = await import('../remote/registered-host-engine.js');
  const entries = await remote.registeredHosts(options.env);
  const local = (async (): Promise<HostListing> => {
    const description = 'the local engine';
    try {
      const target = await openEngineTarget({ env: options.env, retry: options.retry });
      return { host: LOCAL_HOST_ID, description, ok: true, containers: await listThenClose(target.engine, LOCAL_HOST_ID, options) };
    } catch (error) {
      return { host: LOCAL_HOST_ID, description, ok: false, error };
    }
  })();
  const remotes = entries.map(async (entry): Promise<HostListing> => {
    const description = remote.describeRegistered(entry);
    try {
      const target = await remote.openRegisteredEngine(entry, {
        env: options.env,
        acceptNewHostKey: false,
        timeoutMs: options.timeoutMs,
        retry: options.retry,
      });
      return { host: entry.id, description, ok: true, containers: await listThenClose(target.engine, entry.id, options) };
    } catch (error) {
      return { host: entry.id, description, ok: false, error };
    }
  });
  return Promise.all([local, ...remotes]);
}
