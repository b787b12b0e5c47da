// The SSH engine behind a dynamic import: the SSH layer (connections, host
// keys, credentials) is only loaded, parsed and run when a command reaches a
// remote host, so local-only commands start faster.

import type { EngineClient } from './engine-client.js';
import type { SshEngineOptions } from './ssh-engine.js';

export async function openSshEngine(options: SshEngineOptions): Promise<EngineClient> {
  const { openSshEngine: open } = await import('./ssh-engine.js');
  return open(options);
}
