// SSH host aliases for the registered remote hosts, in pks's own file
// (~/.pks/ssh_config), so that VS Code's Remote-SSH — and plain `ssh` — reach
// a host with the same user, port, key and known_hosts as pks. pks rewrites
// only this file; the user's ~/.ssh/config gets one `Include` line, added
// once and only with the user's consent.

import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../common/errors.js';
import { ensurePrivateDir, writeFileAtomic } from '../store/files.js';
import { homeDir, pksHome, type RemoteHost } from '../store/remote-host-store.js';
import { resolveRemoteTarget } from './remote-target.js';

export function sshAliasFor(remoteId: string): string {
  return `pks-${remoteId}`;
}

export function pksSshConfigPath(env: NodeJS.ProcessEnv): string {
  return path.join(pksHome(env), 'ssh_config');
}

function userSshConfigPath(env: NodeJS.ProcessEnv): string {
  return path.join(homeDir(env), '.ssh', 'config');
}

/** ssh_config values are space-separated tokens: quote one that has spaces, refuse what cannot be written safely. */
function configValue(value: string): string {
  if (/["\r\n\0]/.test(value)) throw new UsageError(`Cannot write ${JSON.stringify(value)} into an ssh_config file.`);
  return /\s/.test(value) ? `"${value}"` : value;
}

export function renderSshConfig(hosts: readonly RemoteHost[], env: NodeJS.ProcessEnv): string {
  const blocks = hosts.map((entry) => {
    const { options, sshConfig } = resolveRemoteTarget(entry, { env });
    // The key pks uses: the registered one, else those of the host's
    // ~/.ssh/config alias (which `ssh pks-<id>` does not match).
    const identities =
      options.privateKeyPath === undefined
        ? [...sshConfig.identityFiles.map((file) => `  IdentityFile ${configValue(file)}`), ...(sshConfig.identitiesOnly === true ? ['  IdentitiesOnly yes'] : [])]
        : [`  IdentityFile ${configValue(options.privateKeyPath)}`, '  IdentitiesOnly yes'];
    const lines = [
      `Host ${sshAliasFor(entry.id)}`,
      `  HostName ${configValue(options.host)}`,
      `  User ${configValue(options.username)}`,
      `  Port ${options.port ?? 22}`,
      ...identities,
      `  UserKnownHostsFile ${(options.knownHostsFiles ?? []).map(configValue).join(' ')}`,
      // The host's own alias's revocation sources, which `ssh pks-<id>` would not match.
      ...(options.globalKnownHostsFiles === undefined ? [] : [`  GlobalKnownHostsFile ${options.globalKnownHostsFiles.map(configValue).join(' ') || 'none'}`]),
      ...(options.revokedHostKeys === undefined ? [] : [`  RevokedHostKeys ${configValue(options.revokedHostKeys)}`]),
      '  StrictHostKeyChecking yes',
      ...(options.jump === undefined ? [] : [`  ProxyJump ${configValue(`${options.jump.username}@${options.jump.host}:${options.jump.port ?? 22}`)}`]),
    ];
    return lines.join('\n');
  });
  return [
    '# Written by pks from its registered remote hosts (pks remote list); rewritten on every change.',
    '# Each host is reachable as `ssh pks-<id>`, with the same user, key and known_hosts as pks uses.',
    '',
    ...blocks.map((block) => `${block}\n`),
  ].join('\n');
}

/** Rewrites ~/.pks/ssh_config from the registry. */
export async function writeSshAliases(hosts: readonly RemoteHost[], env: NodeJS.ProcessEnv): Promise<string> {
  const file = pksSshConfigPath(env);
  await ensurePrivateDir(path.dirname(file));
  await writeFileAtomic(file, renderSshConfig(hosts, env));
  return file;
}

/** Rewrites ~/.pks/ssh_config after the registry changed, if pks has written it before. */
export async function refreshSshAliases(hosts: readonly RemoteHost[], env: NodeJS.ProcessEnv): Promise<void> {
  const exists = await readFile(pksSshConfigPath(env)).then(
    () => true,
    () => false,
  );
  if (exists) await writeSshAliases(hosts, env);
}

export type IncludeState = 'present' | 'absent';

/** Whether an `Include` line of `text` names `target` (absolute or as ~/...). */
function hasInclude(text: string, target: string, home: string): boolean {
  const forms = new Set([target]);
  if (target.startsWith(`${home}/`)) forms.add(`~/${target.slice(home.length + 1)}`);
  for (const line of text.split(/\r?\n/)) {
    // Below a Host or Match line an Include belongs to that block and only
    // applies to its hosts: it does not count.
    if (/^\s*(Host|Match)\s/i.test(line)) return false;
    const match = /^\s*Include\s+(.+)$/i.exec(line);
    if (match !== null && (match[1] ?? '').split(/\s+/).some((token) => forms.has(token.replace(/^"|"$/g, '')))) return true;
  }
  return false;
}

export async function sshIncludeState(env: NodeJS.ProcessEnv): Promise<IncludeState> {
  const text = await readFile(userSshConfigPath(env), 'utf8').catch(() => '');
  return hasInclude(text, pksSshConfigPath(env), homeDir(env)) ? 'present' : 'absent';
}

/**
 * Adds `Include <~/.pks/ssh_config>` as the first line of ~/.ssh/config (an
 * Include further down would belong to the Host block above it), keeping
 * every other byte of the file as it was.
 */
export async function addSshInclude(env: NodeJS.ProcessEnv): Promise<string> {
  const link = userSshConfigPath(env);
  // A ~/.ssh/config that is a symlink (dotfiles) stays one: its target is written.
  const file = await realpath(link).catch(() => link);
  const current = await readFile(file, 'utf8').catch(() => '');
  const target = pksSshConfigPath(env);
  if (hasInclude(current, target, homeDir(env))) return file;
  await ensurePrivateDir(path.dirname(link));
  await writeFileAtomic(file, `# Added by pks: SSH aliases of its remote hosts (pks-<id>)\nInclude ${configValue(target)}\n\n${current}`);
  return file;
}
