// A Docker API endpoint for the field's own tools (the docker CLI for BuildKit
// builds, Compose): `DOCKER_HOST` pointing at this engine through pks's own
// connection, never `ssh://` and never a TCP port. A local unix socket or a
// warm connection's socket is used as it is; a direct SSH connection gets a
// private socket for as long as the tool runs, each connection to it a new
// channel to the host's Docker socket.

import { mkdtemp, chmod, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { pipeThrough } from './join-streams.js';

export interface ToolEndpoint {
  /** For the tool's environment: `unix:///…`, or the local engine's tcp:// address. */
  readonly dockerHost: string;
  /** Ends what was set up for the tool (a bridge socket); a no-op otherwise. Idempotent. */
  close(): Promise<void>;
}

export function fixedToolEndpoint(dockerHost: string): ToolEndpoint {
  return { dockerHost, close: async () => undefined };
}

export function listen(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * A unix socket in a fresh 0700 folder (mode 0600 itself) whose every
 * connection is piped to a stream `open` makes: an SSH channel to the engine.
 */
export async function bridgeEndpoint(open: () => Promise<Duplex>): Promise<ToolEndpoint> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pks-engine-'));
  const socketPath = path.join(dir, 'docker.sock');
  const clients = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (local) => {
    clients.add(local);
    local.once('close', () => clients.delete(local));
    local.on('error', () => local.destroy());
    pipeThrough(local, open);
  });
  try {
    await listen(server, socketPath);
    await chmod(socketPath, 0o600);
  } catch (error) {
    server.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    dockerHost: `unix://${socketPath}`,
    close: () =>
      (closed ??= (async () => {
        for (const socket of clients) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}
