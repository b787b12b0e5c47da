// Which engine a command talks to: the local one, or a registered remote host
// by id. Everything after this point works the same on both.

import type { RetryPolicy } from '../../common/retry.js';
import { openLocalEngine, type EngineClient } from '../../engine/index.js';
import type { SshPrompts } from '../../ssh/index.js';
import { LOCAL_HOST_ID } from '../containers/labels.js';

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
  remote?: string | undefined;
  prompts?: SshPrompts | undefined;
  acceptNewHostKey?: boolean;
  timeoutMs?: number | undefined;
  /** How transient failures (connection set-up, idempotent engine calls) are retried and announced. */
  retry?: RetryPolicy | undefined;
}

/** The ` --remote <id>` that names the host in a command pks suggests; empty for the local engine. */
export function remoteFlagOf(hostId: string): string {
  return hostId === LOCAL_HOST_ID ? '' : ` --remote ${hostId}`;
}

export async function openEngineTarget(options: OpenEngineOptions): Promise<EngineTarget> {
  if (options.remote === undefined) {
    return { engine: await openLocalEngine(options.env, { retry: options.retry }), hostId: LOCAL_HOST_ID, description: 'the local engine' };
  }
  // The hosts file, SSH configuration and known_hosts code load only for a
  // remote host: a local command starts that much faster.
  const { openRemoteEngineTarget } = await import('./registered-host-engine.js');
  return openRemoteEngineTarget(options.remote, options);
}
