// A remote engine over SSH. Importing this module does not load ssh2; only
// opening a connection does.

import { acquireSshConnection, findEngineSocket, type SshConnectionOptions } from '../ssh/index.js';
import { HttpEngineClient, type EngineClient } from './engine-client.js';
import { createSshTransport } from './ssh-transport.js';

import { DEFAULT_DOCKER_SOCKET } from '../common/defaults.js';

export interface SshEngineOptions extends SshConnectionOptions {
  /** The engine's socket as the SSH login sees it. */
  socketPath?: string;
  /** The API version the engine reported before (see HttpEngineClient). */
  knownApiVersion?: string | undefined;
  /** How messages name this engine, e.g. `remote host "r1" (dev@10.0.0.2)`; default: its ssh:// address. */
  description?: string | undefined;
}

/**
 * Connects (host key check and authentication happen here, so their errors
 * surface before any engine call) and returns a client whose requests are
 * channels on the one connection this process keeps to that host.
 */
export async function openSshEngine(options: SshEngineOptions): Promise<EngineClient> {
  const { socketPath = DEFAULT_DOCKER_SOCKET, knownApiVersion, description, ...connectionOptions } = options;
  // The same policy retries the connection's set-up (ssh layer) and the
  // engine's idempotent calls (engine layer).
  const lease = acquireSshConnection(connectionOptions);
  try {
    await lease.connection.ready();
  } catch (error) {
    await lease.release();
    throw error;
  }
  return new HttpEngineClient(createSshTransport({ lease, socketPath, description }), { retry: options.retry, knownApiVersion });
}

/**
 * The engine socket the login may use on that host: the Docker socket, else
 * a Podman socket (see engine-socket-search.ts); undefined when there is none.
 * Shares the connection an open engine to the same host holds.
 */
export async function findSshEngineSocket(options: SshEngineOptions): Promise<string | undefined> {
  const { socketPath: _socketPath, knownApiVersion: _knownApiVersion, description: _description, ...connectionOptions } = options;
  const lease = acquireSshConnection(connectionOptions);
  try {
    await lease.connection.ready();
    return await findEngineSocket(lease.connection);
  } finally {
    await lease.release();
  }
}
