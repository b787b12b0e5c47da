// The identities one login offers, in OpenSSH's order: the ssh-agent's keys,
// then the key named for the host, then ssh_config IdentityFiles and the
// default ~/.ssh/id_* keys. Key material stays in memory; messages name keys
// only by path, type and public fingerprint.

import { lstatSync } from 'node:fs';
import type { ParsedKey } from 'ssh2';
import { OperationError, errorMessage, isPksError, systemErrorCode } from '../common/errors.js';
import { sha256Fingerprint } from './key-blob.js';
import { publicKeyError, readPrivateKeyFile } from './keys.js';
import type { ResolvedSshOptions } from './options.js';

type Ssh2Utils = (typeof import('ssh2'))['utils'];

export interface Identity {
  path: string;
  key: ParsedKey;
  /** `path (ssh-ed25519 SHA256:...)`. */
  label: string;
}

export interface Credentials {
  agentSocket: string | undefined;
  identities: Identity[];
  /** Encrypted key files left to the agent (no terminal to ask for their passphrase). */
  agentHeld: string[];
  /** What was offered, for an authentication error. */
  description: string;
}

function isEncryptedKeyError(error: Error): boolean {
  return /encrypted|passphrase/i.test(error.message);
}

/** An encrypted key left to the ssh-agent: no terminal to ask for its passphrase. */
interface AgentHeldKey {
  path: string;
  agentHeld: true;
}

async function parseIdentity(
  utils: Ssh2Utils,
  path: string,
  data: Buffer,
  options: ResolvedSshOptions,
): Promise<Identity | AgentHeldKey> {
  let parsed = utils.parseKey(data);
  if (parsed instanceof Error && isEncryptedKeyError(parsed)) {
    const ask = options.prompts.passphrase;
    // As ssh does without a terminal: with an agent running, the encrypted
    // key is expected there (`ssh-add` is the hint below); the agent's keys
    // are offered first anyway.
    if (ask === undefined && options.agentSocket !== undefined) return { path, agentHeld: true };
    if (ask === undefined) {
      throw new OperationError('E_SSH_KEY_ENCRYPTED', `The private key ${path} is encrypted and no terminal is available to ask for its passphrase.`, {
        hint: `Load it into ssh-agent (\`ssh-add ${path}\`) so pks can use it through SSH_AUTH_SOCK, or run pks on a terminal.`,
      });
    }
    const passphrase = await ask(path);
    if (passphrase === undefined) {
      throw new OperationError('E_SSH_KEY_ENCRYPTED', `No passphrase given for the private key ${path}.`);
    }
    parsed = utils.parseKey(data, passphrase);
    if (parsed instanceof Error) {
      throw new OperationError('E_SSH_KEY_PASSPHRASE', `Wrong passphrase for the private key ${path}.`, {
        hint: 'Try again, or load the key into ssh-agent with ssh-add.',
      });
    }
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || key instanceof Error) {
    throw new OperationError('E_SSH_KEY_INVALID', `${path} is not a private key pks can use${key instanceof Error ? ` (${key.message})` : ''}.`, {
      hint: 'Use an OpenSSH or PEM private key (ed25519, ecdsa or rsa).',
    });
  }
  if (!key.isPrivateKey()) throw publicKeyError(path);
  return { path, key, label: `${path} (${key.type} ${sha256Fingerprint(key.getPublicSSH())})` };
}

/**
 * Loads the identities. The key named for the host must work; the others are
 * candidates: missing ones are skipped silently, unusable ones with a warning.
 */
export async function loadCredentials(utils: Ssh2Utils, options: ResolvedSshOptions): Promise<Credentials> {
  const identities: Identity[] = [];
  const agentHeld: string[] = [];
  const keep = (identity: Identity | AgentHeldKey): void => {
    if ('agentHeld' in identity) agentHeld.push(identity.path);
    else identities.push(identity);
  };
  const seen = new Set<string>();
  if (options.privateKeyPath !== undefined) {
    seen.add(options.privateKeyPath);
    keep(await parseIdentity(utils, options.privateKeyPath, await readPrivateKeyFile(options.privateKeyPath), options));
  }
  for (const path of options.identityFiles) {
    if (seen.has(path)) continue;
    seen.add(path);
    try {
      keep(await parseIdentity(utils, path, await readPrivateKeyFile(path), options));
    } catch (error) {
      if (isPksError(error) && error.code === 'E_SSH_KEY_MISSING') continue;
      if (!isPksError(error)) throw error;
      options.prompts.warn?.(`${error.message} Skipping it.${error.hint === undefined ? '' : ` (${error.hint})`}`);
    }
  }
  const credentials = { agentSocket: options.agentSocket, identities, agentHeld };
  return { ...credentials, description: describeCredentials(credentials) };
}

/**
 * What the server was offered, for an authentication error. An agent that
 * could not be reached offered nothing: say so, rather than that the server
 * refused its keys.
 */
export function describeCredentials(credentials: Omit<Credentials, 'description'>, agentUnreachable?: string): string {
  const { agentSocket, agentHeld, identities } = credentials;
  const reached = agentSocket !== undefined && agentUnreachable === undefined;
  const offered = [
    ...(reached ? [`the keys of ssh-agent (${agentSocket}${agentHeld.length === 0 ? '' : `, expected to hold the encrypted ${agentHeld.join(', ')}: load it with ssh-add`})`] : []),
    ...identities.map((identity) => `key ${identity.label}`),
  ];
  const refused = offered.length === 0 ? `no key${reached || agentSocket !== undefined ? '' : ' (none configured, none found in ~/.ssh, no ssh-agent)'}` : offered.join(', ');
  if (agentSocket === undefined || agentUnreachable === undefined) return refused;
  return `${refused}; the ssh-agent at ${agentSocket} (SSH_AUTH_SOCK) could not be reached (${agentUnreachable}), so none of its keys were offered`;
}

/**
 * Why an agent error means the agent was never reached, or undefined for any
 * other agent failure (a key it refused to sign with, say). ssh2 says only
 * "Failed to connect to agent", so the socket path is looked at (on this
 * failure path only) to say what is wrong with it.
 */
export function agentUnreachableReason(error: unknown, socketPath: string): string | undefined {
  if (!/failed to connect to agent/i.test(errorMessage(error))) return undefined;
  try {
    const stats = lstatSync(socketPath);
    return stats.isSocket() ? 'nothing answers on that socket' : 'that path is not a socket';
  } catch (statError) {
    return systemErrorCode(statError) === 'ENOENT' ? 'no such socket' : errorMessage(statError);
  }
}

type AuthMethod =
  | { type: 'agent'; username: string; agent: string }
  | { type: 'publickey'; username: string; key: ParsedKey };

/** ssh2's authHandler: each method once, in order, then give up. */
export function authMethods(username: string, credentials: Credentials): AuthMethod[] {
  return [
    ...(credentials.agentSocket === undefined ? [] : [{ type: 'agent' as const, username, agent: credentials.agentSocket }]),
    ...credentials.identities.map((identity) => ({ type: 'publickey' as const, username, key: identity.key })),
  ];
}
