// Which engine a command talks to: the local one, or a registered remote host
// by id. Everything after this point works the same on both.

import type { RetryPolicy } from '../common/retry.js';
import { openLocalEngine, openSshEngine, type EngineClient } from '../engine/index.js';
import type { SshPrompts } from '../ssh/index.js';
import { RemoteHostStore, describeHost } from '../store/remote-host-store.js';
import { LOCAL_HOST_ID } from './labels.js';
import { resolveRemoteTarget } from './remote-target.js';

export interface EngineTarget {
  engine: EngineClient;
  /** `local` or the remote id: the value of the pks.remote.host label. */
  hostId: string;
  /** For messages: `the local engine`, `remote host "r1" (pksdev@10.0.0.2)`. */
  description: string;
  /** For remote hosts, the plain ssh command that reaches the host. */
  sshCommand?: string[];
}

export interface OpenEngineOptions {
  env: NodeJS.ProcessEnv;
  remote?: string;
  prompts?: SshPrompts;
  acceptNewHostKey?: boolean;
  timeoutMs?: number;
  /** How transient failures (connection set-up, idempotent engine calls) are retried and announced. */
  retry?: RetryPolicy | undefined;
}

export async function openEngineTarget(options: OpenEngineOptions): Promise<EngineTarget> {
  if (options.remote === undefined) {
    return { engine: await openLocalEngine(options.env, { retry: options.retry }), hostId: LOCAL_HOST_ID, description: 'the local engine' };
  }
  const entry = await RemoteHostStore.fromEnv(options.env).require(options.remote);
  const target = resolveRemoteTarget(entry, {
    env: options.env,
    ...(options.prompts === undefined ? {} : { prompts: options.prompts }),
    ...(options.acceptNewHostKey === undefined ? {} : { acceptNewHostKey: options.acceptNewHostKey }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const engine = await openSshEngine({ ...target.options, retry: options.retry });
  const { host, port, username } = target.options;
  return {
    engine,
    hostId: entry.id,
    description: `remote host "${entry.id}" (${describeHost(entry)})`,
    sshCommand: ['ssh', ...(port !== undefined && port !== 22 ? ['-p', String(port)] : []), `${username}@${host}`],
  };
}
