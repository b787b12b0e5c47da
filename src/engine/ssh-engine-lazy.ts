// The SSH engine behind a dynamic import: the SSH layer (connections, host
// keys, credentials) is only loaded, parsed and run when a command reaches a
// remote host, so local-only commands start faster.

import type { EngineClient } from './engine-client.js';
import type { SshEngineOptions } from './ssh-engine.js';
import type { WarmEngine, WarmEngineOptions, WarmLater } from './warm-engine.js';

export async function openSshEngine(options: SshEngineOptions): Promise<EngineClient> {
  const { openSshEngine: open } = await import('./ssh-engine.js');
  return open(options);
}

/** Where the engine listens on an SSH host (Docker's socket, else Podman's); see ssh-engine.ts. */
export async function findSshEngineSocket(options: SshEngineOptions): Promise<string | undefined> {
  const { findSshEngineSocket: find } = await import('./ssh-engine.js');
  return find(options);
}

/** The engine through a warm connection (see warm-engine.ts), loaded on first use. */
export async function openWarmEngine(options: WarmEngineOptions): Promise<WarmEngine | undefined> {
  const { openWarmEngine: open } = await import('./warm-engine.js');
  return open(options);
}

/** The engine through a holder that answers now, else what starts one in the background (see warm-engine.ts). */
export async function openLiveWarmEngine(options: WarmEngineOptions): Promise<WarmEngine | WarmLater | undefined> {
  const { openLiveWarmEngine: open } = await import('./warm-engine.js');
  return open(options);
}
