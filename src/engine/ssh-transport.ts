// A remote engine reached through the shared SSH connection to its host:
// each HTTP connection is a channel to the remote Docker socket.

import { OperationError, errorMessage, isPksError, type PksError } from '../common/errors.js';
import type { SshConnection, SshConnectionLease } from '../ssh/index.js';
import { diagnoseRemoteSocket, forwardAgentToHost, remoteDiskFree, remoteUserIds } from '../ssh/index.js';
import { SshChannelAgent } from './ssh-channel-agent.js';
import { bridgeEndpoint } from './tool-endpoint.js';
import type { EngineTransport } from './transport.js';

/**
 * Channels are kept alive and reused by later requests. Measured here (200
 * sequential GET /containers/json to pks-r1 over one SSH connection, three
 * runs): a fresh channel per request took a median of 1.0-1.4 ms with a p90
 * of 1.8-43 ms; a kept-alive channel 0.4-0.7 ms, p90 0.6-1.4 ms. The 43 ms
 * tail is Nagle on sshd's side (it sets TCP_NODELAY only for interactive
 * sessions) meeting delayed ACKs around each channel's close/open exchange,
 * which reuse avoids. The cost of reuse, a channel the engine closed while
 * idle, is handled by resending idempotent requests (http-client.ts).
 */
export const SSH_CHANNEL_KEEP_ALIVE = true;

/**
 * Idle channels kept for reuse. A burst of concurrent calls opens one channel
 * each; keeping them all would hold as many idle connections on the engine.
 */
const MAX_IDLE_CHANNELS = 8;

export interface SshTransportOptions {
  lease: SshConnectionLease;
  /** The engine's socket on the remote host. */
  socketPath: string;
  /** How messages name this engine; default: its ssh:// address. */
  description?: string | undefined;
}

export function createSshTransport(options: SshTransportOptions): EngineTransport {
  const { lease, socketPath } = options;
  const connection = lease.connection;
  // Many requests failing at once (50 concurrent calls to a host without an
  // engine) share one diagnosis instead of starting 50 SFTP sessions.
  let diagnosis: Promise<PksError> | undefined;
  const openChannel = async () => {
    try {
      const channel = await connection.openStreamLocal(socketPath);
      diagnosis = undefined;
      return channel;
    } catch (error) {
      if (isPksError(error)) throw error;
      diagnosis ??= remoteSocketError(connection, socketPath, error);
      throw await diagnosis;
    }
  };
  const agent = new SshChannelAgent(openChannel, {
    keepAlive: SSH_CHANNEL_KEEP_ALIVE,
    maxFreeSockets: MAX_IDLE_CHANNELS,
  });
  return {
    kind: 'ssh',
    target: options.description ?? connection.url,
    agent,
    // The Host header is informational for the engine; no DNS lookup happens
    // because the agent makes the connection.
    connectOptions: { host: 'docker', port: 80 },
    connectionError: (error) =>
      isPksError(error)
        ? error
        : new OperationError('E_ENGINE_CONNECTION', `The connection to the engine (${connection.url}) failed: ${errorMessage(error)}.`, {
            hint: 'Retry; if it persists, check the network and the engine on that host.',
            cause: error,
          }),
    diskFree: (path) => remoteDiskFree(connection, path),
    toolEndpoint: () => bridgeEndpoint(openChannel),
    // For the command's duration: it ends with the connection.
    forwardAgent: (key, agentSocket) => forwardAgentToHost(connection, key, agentSocket),
    userIds: () => remoteUserIds(connection),
    openTcp: (host, port) => connection.openTcp(host, port),
    close: async () => {
      agent.destroy();
      await lease.release();
    },
  };
}

/** E_REMOTE_SOCKET with the most precise reason SFTP can give. */
export async function remoteSocketError(connection: SshConnection, socketPath: string, cause: unknown): Promise<PksError> {
  const { username, host } = connection.options;
  const where = `${socketPath} on ${host} (${connection.login})`;
  const startEngine = `Check that the Docker engine runs on ${host} (e.g. \`sudo systemctl start docker\`).`;
  const addToGroup =
    `Add the user to the docker group on ${host}: \`sudo usermod -aG docker ${username}\`, then reconnect ` +
    `(group changes apply to new logins).`;
  const result = await diagnoseRemoteSocket(connection, socketPath);
  const make = (message: string, hint: string): PksError =>
    new OperationError('E_REMOTE_SOCKET', message, { hint, cause, details: [`ssh: ${errorMessage(cause)}`] });
  switch (result.status) {
    case 'missing':
      return make(`There is no Docker socket at ${where}: Docker is not installed or not running there.`, startEngine);
    case 'not-a-socket':
      return make(`${socketPath} on ${host} is not a socket, so it cannot be the Docker engine.`, startEngine);
    case 'no-permission':
      return make(
        `User ${username} on ${host} has no permission to use the Docker socket ${socketPath} ` +
          `(owned by ${result.owner}:${result.group}, mode ${result.mode}).`,
        addToGroup,
      );
    case 'not-listening':
      return make(
        `The Docker socket ${where} exists and ${username} may use it, but nothing answers on it: the engine is not running.`,
        `${startEngine} If ${username} was just added to the docker group, reconnect so the login picks it up.`,
      );
    case 'unknown':
      return make(
        `User ${username} cannot open the Docker socket ${where} (${result.reason}): ` +
          `the user may lack permission, or the engine is not running.`,
        `${addToGroup} Or: ${startEngine}`,
      );
  }
}
