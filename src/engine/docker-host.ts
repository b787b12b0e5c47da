// Where the local engine listens, from DOCKER_HOST as the docker CLI reads it
// (docker-context.ts falls back to the docker contexts when it is unset).
// Only what pks can serve without TLS or a CLI: a unix socket or plain tcp.

import { DEFAULT_DOCKER_SOCKET } from '../common/defaults.js';
import { UsageError } from '../common/errors.js';

export { DEFAULT_DOCKER_SOCKET };

export type LocalEndpoint =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number };

/** `unix:///var/run/docker.sock` or `tcp://host:port`, as a user would write it. */
export function endpointUrl(endpoint: LocalEndpoint): string {
  if (endpoint.kind === 'unix') return `unix://${endpoint.socketPath}`;
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `tcp://${host}:${endpoint.port}`;
}

function invalid(value: string, why: string): UsageError {
  return new UsageError(`DOCKER_HOST=${value} is not valid: ${why}.`, {
    code: 'E_DOCKER_HOST',
    hint: 'Use unix:///path/to/docker.sock or tcp://host:port, or unset DOCKER_HOST for /var/run/docker.sock.',
  });
}

/**
 * Parses the DOCKER_HOST environment. Unset or empty means the default
 * socket. `ssh://` is refused on purpose: remote engines are registered with
 * `pks remote add`, which verifies the host key and shares one connection.
 */
export function parseDockerHost(env: Readonly<Record<string, string | undefined>>): LocalEndpoint {
  const value = env['DOCKER_HOST']?.trim() ?? '';
  if (value === '') return { kind: 'unix', socketPath: DEFAULT_DOCKER_SOCKET };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) throw invalid(value, 'it has no scheme (expected unix:// or tcp://)');
  if (scheme === 'unix') {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw invalid(value, 'a unix socket needs an absolute path, as in unix:///var/run/docker.sock');
    return { kind: 'unix', socketPath };
  }
  if (scheme === 'tcp') return parseTcp(value, env);
  if (scheme === 'ssh') {
    throw new UsageError(
      `DOCKER_HOST=${value}: pks does not reach engines over SSH through DOCKER_HOST; register the host with \`pks remote add\` instead.`,
      { code: 'E_DOCKER_HOST', hint: `Run ${remoteAddSuggestion(value)}, then unset DOCKER_HOST.` },
    );
  }
  throw invalid(value, `the scheme ${scheme}:// is not supported (expected unix:// or tcp://)`);
}

function parseTcp(value: string, env: Readonly<Record<string, string | undefined>>): LocalEndpoint {
  if ((env['DOCKER_TLS_VERIFY'] ?? '') !== '') {
    throw new UsageError(`DOCKER_HOST=${value} with DOCKER_TLS_VERIFY set: pks does not speak TLS to engines.`, {
      code: 'E_DOCKER_HOST',
      hint: 'Use the engine through SSH with `pks remote add`, or unset DOCKER_TLS_VERIFY for a plain-http engine.',
    });
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(value, 'it is not a valid URL');
  }
  if (url.hostname === '') throw invalid(value, 'the host is missing');
  if (url.port === '') throw invalid(value, 'the port is missing (as in tcp://host:2375)');
  if (url.pathname !== '' && url.pathname !== '/') throw invalid(value, 'a path after host:port is not supported');
  if (url.username !== '' || url.search !== '' || url.hash !== '') throw invalid(value, 'only tcp://host:port is supported');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { kind: 'tcp', host, port: Number(url.port) };
}

/** `pks remote add <name> --host h --user u [--port p]` prefilled from an ssh:// URL. */
function remoteAddSuggestion(value: string): string {
  try {
    const url = new URL(value);
    const parts = ['pks remote add <name>', `--host ${url.hostname}`];
    if (url.username !== '') parts.push(`--user ${decodeURIComponent(url.username)}`);
    if (url.port !== '') parts.push(`--port ${url.port}`);
    return `\`${parts.join(' ')}\``;
  } catch {
    return '`pks remote add <name> --host <host> --user <user>`';
  }
}
