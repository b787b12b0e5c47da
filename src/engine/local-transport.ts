// The local engine: a unix socket (or plain tcp from DOCKER_HOST) with
// keep-alive, so the few calls of one command share one connection.

import { statfs } from 'node:fs/promises';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { OperationError, errorMessage, systemErrorCode, type PksError } from '../common/errors.js';
import { endpointUrl, type LocalEndpoint } from './docker-host.js';
import type { EngineTransport } from './transport.js';

const START_ENGINE = 'Start the Docker engine (e.g. `sudo systemctl start docker`), or point DOCKER_HOST at its socket.';

export function localTarget(endpoint: LocalEndpoint): string {
  return `local engine (${endpointUrl(endpoint)})`;
}

/** Explains why the local engine could not be reached or the connection broke. */
export function localConnectionError(endpoint: LocalEndpoint, error: unknown): PksError {
  const code = systemErrorCode(error);
  const target = localTarget(endpoint);
  if (endpoint.kind === 'unix') {
    const path = endpoint.socketPath;
    switch (code) {
      case 'ENOENT':
        return new OperationError('E_ENGINE_UNREACHABLE', `Cannot reach the ${target}: there is no socket at ${path}.`, {
          hint: START_ENGINE,
          cause: error,
        });
      case 'ECONNREFUSED':
      case 'ENOTSOCK':
        return new OperationError(
          'E_ENGINE_UNREACHABLE',
          `Cannot reach the ${target}: nothing is listening on ${path} (the engine is not running).`,
          { hint: START_ENGINE, cause: error },
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

export function createLocalTransport(endpoint: LocalEndpoint): EngineTransport {
  const agent = new Agent({ keepAlive: true });
  return {
    kind: 'local',
    target: localTarget(endpoint),
    agent,
    connectOptions: endpoint.kind === 'unix' ? { socketPath: endpoint.socketPath } : { host: endpoint.host, port: endpoint.port },
    connectionError: (error) => localConnectionError(endpoint, error),
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
