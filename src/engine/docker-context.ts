// Where the local engine listens when DOCKER_HOST is not set: the docker
// CLI's contexts. DOCKER_CONTEXT, else `currentContext` in
// ~/.docker/config.json (DOCKER_CONFIG replaces ~/.docker); a context's
// endpoint is in contexts/meta/<sha256 of its name>/meta.json
// (Endpoints.docker.Host), as the docker CLI stores it. Only unix:// endpoints
// are used: a tcp:// or ssh:// context is a remote engine, which pks reaches
// through `pks remote add` (host key checked, one shared connection).

import { createHash } from 'node:crypto';
import path from 'node:path';
import { DEFAULT_DOCKER_SOCKET } from '../common/defaults.js';
import { UsageError, errorMessage } from '../common/errors.js';
import { homeDir } from '../store/remote-host-store.js';
import { readUserFile } from '../store/user-files.js';
import { parseDockerHost, type LocalEndpoint } from './docker-host.js';

/** Where the endpoint came from: for messages, and for the hint when the engine is down. */
export type EndpointOrigin =
  | { kind: 'DOCKER_HOST' }
  | { kind: 'default' }
  | { kind: 'context'; name: string; from: 'DOCKER_CONTEXT' | 'config' };

export interface ResolvedEndpoint {
  endpoint: LocalEndpoint;
  origin: EndpointOrigin;
}

/** The docker CLI's own files are small; a bigger one is not its. */
const MAX_DOCKER_FILE_BYTES = 1024 * 1024;

export function dockerConfigDir(env: Readonly<Record<string, string | undefined>>): string {
  const override = env['DOCKER_CONFIG'];
  return override !== undefined && override !== '' ? path.resolve(override) : path.join(homeDir(env as NodeJS.ProcessEnv), '.docker');
}

async function readJson(file: string): Promise<unknown> {
  const read = await readUserFile(file, MAX_DOCKER_FILE_BYTES);
  if (read.kind === 'missing') return undefined;
  if (read.kind !== 'file') throw new Error(read.kind === 'unreadable' ? errorMessage(read.error) : `it is not a readable file (${read.kind})`);
  return JSON.parse(read.data.toString('utf8')) as unknown;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** DOCKER_HOST, else the docker context in use, else the default socket. */
export async function resolveLocalEndpoint(env: Readonly<Record<string, string | undefined>>): Promise<ResolvedEndpoint> {
  if ((env['DOCKER_HOST']?.trim() ?? '') !== '') return { endpoint: parseDockerHost(env), origin: { kind: 'DOCKER_HOST' } };
  const configDir = dockerConfigDir(env);
  const fromEnv = env['DOCKER_CONTEXT']?.trim() ?? '';
  let name = fromEnv;
  if (name === '') {
    const configFile = path.join(configDir, 'config.json');
    try {
      const current = field(await readJson(configFile), 'currentContext');
      name = typeof current === 'string' ? current : '';
    } catch (error) {
      throw new UsageError(`Cannot read the docker CLI's ${configFile}: ${errorMessage(error)}.`, {
        code: 'E_DOCKER_CONTEXT',
        hint: 'Fix the file, or set DOCKER_HOST=unix:///path/to/docker.sock to bypass it.',
      });
    }
  }
  if (name === '' || name === 'default') return { endpoint: { kind: 'unix', socketPath: DEFAULT_DOCKER_SOCKET }, origin: { kind: 'default' } };
  const origin: EndpointOrigin = { kind: 'context', name, from: fromEnv === '' ? 'config' : 'DOCKER_CONTEXT' };
  return { endpoint: await contextEndpoint(configDir, origin), origin };
}

async function contextEndpoint(configDir: string, origin: Extract<EndpointOrigin, { kind: 'context' }>): Promise<LocalEndpoint> {
  const { name } = origin;
  const which = origin.from === 'DOCKER_CONTEXT' ? `DOCKER_CONTEXT=${name}` : `the current docker context "${name}"`;
  const away = origin.from === 'DOCKER_CONTEXT' ? 'unset DOCKER_CONTEXT' : 'run `docker context use default`';
  const meta = path.join(configDir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'), 'meta.json');
  let host: unknown;
  try {
    const data = await readJson(meta);
    if (data === undefined) {
      throw new UsageError(`${capitalize(which)} does not exist (no ${meta}).`, {
        code: 'E_DOCKER_CONTEXT',
        hint: `List the contexts with \`docker context ls\`, or ${away} to use ${DEFAULT_DOCKER_SOCKET}.`,
      });
    }
    host = field(field(field(data, 'Endpoints'), 'docker'), 'Host');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read ${which} (${meta}): ${errorMessage(error)}.`, { code: 'E_DOCKER_CONTEXT', hint: `Fix or recreate the context, or ${away}.` });
  }
  if (typeof host !== 'string' || host === '') {
    throw new UsageError(`${capitalize(which)} has no Docker endpoint.`, { code: 'E_DOCKER_CONTEXT', hint: `Recreate it with \`docker context create\`, or ${away}.` });
  }
  if (host.startsWith('unix://') && host.length > 'unix://'.length + 1 && host.charAt('unix://'.length) === '/') {
    return { kind: 'unix', socketPath: host.slice('unix://'.length) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(host)?.[1]?.toLowerCase() ?? host;
  throw new UsageError(`${capitalize(which)} points at ${host}: pks uses only local unix:// sockets from docker contexts, not ${scheme} endpoints.`, {
    code: 'E_DOCKER_CONTEXT',
    hint: `For a remote engine, register its host: pks remote add <id> --host <host> --user <user> (then --remote <id>, or pks remote default <id>); or ${away} for the local engine.`,
  });
}

function capitalize(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}
