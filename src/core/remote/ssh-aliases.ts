// SSH host aliases for the registered remote hosts, in pks's own file
// (~/.pks/ssh_config), so that VS Code's Remote-SSH — and plain `ssh` — reach
// a host with the same user, port, key and known_hosts as pks. pks rewrites
// only this file; the user's ~/.ssh/config gets one `Include` line, added
// once and only with the user's consent.

import path from 'node:path';
import { OperationError, UsageError, errorMessage } from '../../common/errors.js';
import { ensurePrivateDir, writeFileAtomic } from '../../store/files.js';
import { describeUnreadable, readUserFile, symlinkTarget, type UserFileRead } from '../../store/user-files.js';
import { homeDir, pksHome, type RemoteHost } from '../../store/remote-host-store.js';
import { resolveRemoteTarget } from './host-ssh-target.js';

export function sshAliasFor(remoteId: string): string {
  return `pks-${remoteId}`;
}

export function pksSshConfigPath(env: NodeJS.ProcessEnv): string {
  return path.join(pksHome(env), 'ssh_config');
}

function userSshConfigPath(env: NodeJS.ProcessEnv): string {
  return path.join(homeDir(env), '.ssh', 'config');
}

/** A value pks cannot write into an ssh_config file, with the reason. */
export class SshConfigValueError extends UsageError {
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(`The value ${JSON.stringify(value)} cannot be written into an ssh_config file: it ${reason}.`, {
      code: 'E_SSH_CONFIG_VALUE',
      hint: 'Give host names, users and paths without double quotes, line breaks or control characters.',
    });
  }
}

/**
 * ssh_config values are space-separated tokens: one with spaces is quoted, a
 * backslash escaped (ssh reads `\\` as one). A double quote cannot be
 * escaped there, and a line break or control character would end the line or
 * hide in it: those are refused.
 */
function configValue(value: string): string {
  if (value.includes('"')) throw new SshConfigValueError(value, 'contains a double quote');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new SshConfigValueError(value, 'contains a line break or a control character');
  const escaped = value.replace(/\\/g, '\\\\');
  return /\s/.test(escaped) || escaped === '' ? `"${escaped}"` : escaped;
}

/** The Host block of each host; throws SshConfigValueError for a value that cannot be written. */
export function renderHostBlocks(hosts: readonly RemoteHost[], env: NodeJS.ProcessEnv): string[] {
  return hosts.map((entry) => {
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
}

export interface RenderedSshConfig {
  text: string;
  /** Hosts left out: a value of theirs cannot be written into ssh_config. */
  skipped: Array<{ id: string; reason: string }>;
}

/** pks's ssh_config: one Host block per registered host; one that cannot be written is left out, never the others. */
export function renderSshConfig(hosts: readonly RemoteHost[], env: NodeJS.ProcessEnv): RenderedSshConfig {
  const blocks: string[] = [];
  const skipped: RenderedSshConfig['skipped'] = [];
  for (const entry of hosts) {
    try {
      blocks.push(...renderHostBlocks([entry], env));
    } catch (error) {
      if (!(error instanceof SshConfigValueError)) throw error;
      skipped.push({ id: entry.id, reason: error.message });
    }
  }
  const text = [
    '# Written by pks from its registered remote hosts (pks remote list); rewritten on every change.',
    '# Each host is reachable as `ssh pks-<id>`, with the same user, key and known_hosts as pks uses.',
    '',
    ...blocks.map((block) => `${block}\n`),
  ].join('\n');
  return { text, skipped };
}

/**
 * Reads a file before pks replaces it: its bytes, or missing; one that exists
 * but cannot be read (or is no regular file) is an error, never overwritten.
 * `instead` says what the user can do rather than let pks write it.
 */
async function readBeforeWrite(file: string, maxBytes: number, instead: string): Promise<UserFileRead & { kind: 'file' | 'missing' }> {
  const read = await readUserFile(file, maxBytes);
  if (read.kind === 'file' || read.kind === 'missing') return read;
  throw new OperationError('E_USER_FILE_UNREADABLE', `${file} ${describeUnreadable(read, maxBytes)}, so pks will not write it.`, {
    hint:
      read.kind === 'unreadable'
        ? `pks never replaces a file it cannot read. Make it yours and readable (sudo chown $(id -un) ${file}; chmod 600 ${file}), or ${instead}.`
        : `Move it aside (pks writes a regular file there), or ${instead}.`,
    ...(read.kind === 'unreadable' ? { cause: read.error } : {}),
  });
}

/** writeFileAtomic, with a failure (a read-only folder, a loop of symlinks) told as such. */
async function writeOrExplain(file: string, content: string | Buffer, options: { mode?: number } = {}): Promise<void> {
  try {
    await writeFileAtomic(file, content, options);
  } catch (error) {
    throw new OperationError('E_USER_FILE_WRITE', `Cannot write ${file}: ${errorMessage(error)}`, {
      hint: 'Check the permissions of the file and of its folder.',
      cause: error,
    });
  }
}

/** Far more than any ssh_config: a bigger file is not one to rewrite. */
const MAX_SSH_CONFIG_BYTES = 4 * 1024 * 1024;

/** Rewrites ~/.pks/ssh_config from the registry; the hosts left out are returned, to be named in a warning. */
export async function writeSshAliases(hosts: readonly RemoteHost[], env: NodeJS.ProcessEnv): Promise<{ file: string; skipped: RenderedSshConfig['skipped'] }> {
  const file = pksSshConfigPath(env);
  await ensurePrivateDir(path.dirname(file));
  await readBeforeWrite(file, MAX_SSH_CONFIG_BYTES, 'point PKS_HOME at another folder');
  const { text, skipped } = renderSshConfig(hosts, env);
  await writeOrExplain(file, text);
  return { file, skipped };
}

/** Rewrites ~/.pks/ssh_config after the registry changed, if pks has written it before. */
export async function refreshSshAliases(hosts: readonly RemoteHost[], env: NodeJS.ProcessEnv): Promise<RenderedSshConfig['skipped']> {
  if ((await readUserFile(pksSshConfigPath(env), 0)).kind === 'missing') return [];
  return (await writeSshAliases(hosts, env)).skipped;
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

/** Whether ~/.ssh/config includes pks's file; one that cannot be read does not (ssh skips it too). */
export async function sshIncludeState(env: NodeJS.ProcessEnv): Promise<IncludeState> {
  const read = await readUserFile(userSshConfigPath(env), MAX_SSH_CONFIG_BYTES);
  const text = read.kind === 'file' ? read.data.toString('utf8') : '';
  return hasInclude(text, pksSshConfigPath(env), homeDir(env)) ? 'present' : 'absent';
}

/**
 * Adds `Include <~/.pks/ssh_config>` as the first line of ~/.ssh/config (an
 * Include further down would belong to the Host block above it), keeping
 * every other byte of the file as it was, and its mode. A file pks cannot
 * read, or that is not a regular file, is never written; nor is another
 * user's. A symlink stays one: the file it leads to is written (created,
 * when the link dangles).
 */
export async function addSshInclude(env: NodeJS.ProcessEnv): Promise<string> {
  const link = userSshConfigPath(env);
  const file = await symlinkTarget(link).catch((error: unknown) => {
    throw new OperationError('E_USER_FILE_UNREADABLE', `Cannot follow the symlink ${link}: ${errorMessage(error)}`, {
      hint: `Point it at a file, or add the line "Include ${pksSshConfigPath(env)}" yourself.`,
      cause: error,
    });
  });
  const target = pksSshConfigPath(env);
  const current = await readBeforeWrite(file, MAX_SSH_CONFIG_BYTES, `add the line "Include ${target}" at its top yourself`);
  const bytes = current.kind === 'file' ? current.data : Buffer.alloc(0);
  // Decoded only to look for the line; what is written back is the bytes.
  if (hasInclude(bytes.toString('utf8'), target, homeDir(env))) return file;
  const uid = process.getuid?.();
  if (current.kind === 'file' && uid !== undefined && current.uid !== uid) {
    throw new OperationError('E_USER_FILE_NOT_OWNED', `${file} belongs to another user (uid ${current.uid}), so pks will not replace it.`, {
      hint: `Make it yours (sudo chown $(id -un) ${file}), or add the line "Include ${target}" at its top yourself.`,
    });
  }
  await ensurePrivateDir(path.dirname(file));
  const header = Buffer.from(`# Added by pks: SSH aliases of its remote hosts (pks-<id>)\nInclude ${configValue(target)}\n\n`);
  await writeOrExplain(file, Buffer.concat([header, bytes]), current.kind === 'file' ? { mode: current.mode & 0o7777 } : {});
  return file;
}
