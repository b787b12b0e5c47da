// Registry credentials from the docker CLI's config file (~/.docker/config.json,
// or $DOCKER_CONFIG/config.json): the plain base64 `auth` entries that
// `docker login` writes without a credential helper. Helpers (credsStore,
// credHelpers) are programs; pks does not run them, and says so.

import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import { systemErrorCode } from '../../common/errors.js';

export interface RegistryCredentials {
  username: string;
  password: string;
  /** The registry host the credentials are for. */
  serveraddress: string;
}

const dockerConfigSchema = z.looseObject({
  auths: z
    .record(z.string(), z.looseObject({ auth: z.string().optional(), username: z.string().optional(), password: z.string().optional() }))
    .optional(),
  credsStore: z.string().optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
});

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** `https://index.docker.io/v1/` → `docker.io`; `Host:5000` → `host:5000`. */
export function normaliseRegistryHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host;
}

export function dockerConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  const dir = env['DOCKER_CONFIG'];
  if (dir !== undefined && dir !== '') return path.join(dir, 'config.json');
  return path.join(env['HOME'] ?? os.homedir(), '.docker', 'config.json');
}

export interface CredentialLookup {
  credentials?: RegistryCredentials;
  /** Set when the config names a credential helper pks cannot use. */
  helper?: string;
}

/** Credentials for `registry` (a host, optionally with port), if the docker config has plain ones. */
export async function lookupRegistryCredentials(
  registry: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<CredentialLookup> {
  let text: string;
  try {
    text = await readFile(dockerConfigPath(env), 'utf8');
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return {};
    throw error;
  }
  let parsed: z.infer<typeof dockerConfigSchema>;
  try {
    parsed = dockerConfigSchema.parse(JSON.parse(text));
  } catch {
    // A broken docker config must not stop anonymous pulls.
    return {};
  }
  const wanted = normaliseRegistryHost(registry);
  for (const [key, entry] of Object.entries(parsed.auths ?? {})) {
    if (normaliseRegistryHost(key) !== wanted) continue;
    if (entry.auth !== undefined && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { credentials: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: wanted } };
    }
    if (entry.username !== undefined && entry.password !== undefined) {
      return { credentials: { username: entry.username, password: entry.password, serveraddress: wanted } };
    }
  }
  const helper =
    Object.entries(parsed.credHelpers ?? {}).find(([key]) => normaliseRegistryHost(key) === wanted)?.[1] ?? parsed.credsStore;
  return helper === undefined ? {} : { helper };
}

/** The engine's X-Registry-Auth header: URL-safe base64 of the credentials JSON. */
export function registryAuthHeader(credentials: RegistryCredentials): string {
  return Buffer.from(JSON.stringify(credentials), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
