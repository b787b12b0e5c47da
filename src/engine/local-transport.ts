// The local engine: a unix socket (or plain tcp from DOCKER_HOST) with
// keep-alive, so the few calls of one command share one connection.

import { statfs } from 'node:fs/promises';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { OperationError, errorMessage, systemErrorCode, type PksError } from '../common/errors.js';
import type { EndpointOrigin } from './docker-context.js';
import { endpointUrl, type LocalEndpoint } from './docker-host.js';
import { engineStartHint } from './engine-start-hint.js';
import { fixedToolEndpoint } from './tool-endpoint.js';
import { serveLocalAgent } from './local-agent-forward.js';
import type { EngineTransport } from './transport.js';

const DEFAULT_ORIGIN: EndpointOrigin = { kind: 'default' };

export function localTarget(endpoint: LocalEndpoint, origin: EndpointOrigin = DEFAULT_ORIGIN): string {
  return origin.kind === 'context' ? `local engine (docker context "${origin.name}", ${endpointUrl(endpoint)})` : `local engine (${endpointUrl(endpoint)})`;
}

/** Explains why the local engine could not be reached or the connection broke. */
export function localConnectionError(endpoint: LocalEndpoint, error: unknown, origin: EndpointOrigin = DEFAULT_ORIGIN): PksError {
  const code = systemErrorCode(error);
  const target = localTarget(endpoint, origin);
  const startEngine = engineStartHint(endpoint, origin);
  if (endpoint.kind === 'unix') {
    const path = endpoint.socketPath;
    switch (code) {
      case 'ENOENT':
        return new OperationError('E_ENGINE_UNREACHABLE', `Cannot reach the ${target}: there is no socket at ${path}.`, {
          hint: startEngine,
          cause: error,
        });
      case 'ECONNREFUSED':
      case 'ENOTSOCK':
        return new OperationError(
          'E_ENGINE_UNREACHABLE',
          `Cannot reach the ${target}: nothing is listening on ${path} (the engine is not running).`,
          { hint: startEngine, cause: error },
        );
      case 'EACCES':
      case 'EPERM':
        return new OperationError('E_ENGINE_UNREACHABLE', `Cannot reach the ${target}: permission denied on ${path}.`, {
          hint: 'Add your user to the docker group (`sudo usermod -aG docker $USER`), then log in again or run `newgrp docker`.',
          cause: error,
        });
    }
  } else if (code !== undefined && ['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) {
    return new OperationError('E_ENGINE_UNREACHABLE', `Cannot reach the ${target}: ${errorMessage(error)}.`, {
      hint: 'Start the engine there, or fix DOCKER_HOST.',
      cause: error,
    });
  }
  return new OperationError('E_ENGINE_CONNECTION', `The connection to the ${target} failed: ${errorMessage(error)}.`, {
    hint: 'Retry; if it persists, check the engine logs.',
    cause: error,
  });
}

export function createLocalTransport(endpoint: LocalEndpoint, origin: EndpointOrigin = DEFAULT_ORIGIN): EngineTransport {
  const agent = new Agent({ keepAlive: true });
  return {
    kind: 'local',
    target: localTarget(endpoint, origin),
    agent,
    connectOptions: endpoint.kind === 'unix' ? { socketPath: endpoint.socketPath } : { host: endpoint.host, port: endpoint.port },
    connectionError: (error) => localConnectionError(endpoint, error, origin),
    // A unix socket means the engine runs on this machine, so its root dir is
    // ours to stat; behind tcp:// it may be anywhere.
    diskFree: async (path) => {
      if (endpoint.kind !== 'unix') return undefined;
      try {
        const info = await statfs(path);
        return info.bavail * info.bsize;
      } catch {
        return undefined;
      }
    },
    toolEndpoint: async () => fixedToolEndpoint(endpointUrl(endpoint)),
    // Behind a unix socket the engine (and the containers' bind mounts) are on this machine.
    ...(endpoint.kind === 'unix' ? { forwardAgent: serveLocalAgent } : {}),
    // The local engine's files are this user's, wherever the engine runs (as in the reference CLI).
    userIds: async () => (typeof process.getuid === 'function' && typeof process.getgid === 'function' ? { uid: process.getuid(), gid: process.getgid() } : undefined),
    // The engine runs here (or its containers' addresses are routed here).
    openTcp: (host, port) =>
      new Promise((resolve, reject) => {
        const socket = connect({ host, port });
        socket.once('connect', () => {
          socket.off('error', reject);
          resolve(socket);
        });
        socket.once('error', reject);
      }),
    close: async () => {
      agent.destroy();
    },
  };
}
