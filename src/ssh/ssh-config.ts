// Reads ~/.ssh/config the way OpenSSH's ssh(1) does, for the options pks needs
// to reach a host: HostName, User, Port, IdentityFile, IdentitiesOnly,
// ProxyJump, UserKnownHostsFile, GlobalKnownHostsFile, RevokedHostKeys,
// StrictHostKeyChecking, and the liveness
// settings ConnectTimeout, ServerAliveInterval, ServerAliveCountMax. As in OpenSSH the first
// value obtained for an option wins (IdentityFile accumulates), `Host` and
// `Match host|originalhost|all` blocks select by pattern, and `Include` pulls
// in more files (relative paths are under ~/.ssh).

import { closeSync, constants, fstatSync, openSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withoutUndefined } from '../common/defined.js';
import { matchHostPatternList } from './host-patterns.js';

export interface SshConfigHost {
  /** The name given on the command line or in the remote entry. */
  alias: string;
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly?: boolean;
  proxyJump?: string;
  /** UserKnownHostsFile; `none` gives an empty list. */
  userKnownHostsFiles?: string[];
  /** GlobalKnownHostsFile; `none` gives an empty list. */
  globalKnownHostsFiles?: string[];
  /** RevokedHostKeys (a key list or a KRL); `none` leaves it unset. */
  revokedHostKeys?: string;
  strictHostKeyChecking?: string;
  /** Seconds to wait for the connection and handshake. */
  connectTimeout?: number;
  /** Seconds between keepalives; 0 turns them off. */
  serverAliveInterval?: number;
  /** Unanswered keepalives before the connection counts as lost. */
  serverAliveCountMax?: number;
  /** Where each value came from, for `--verbose` and error messages. */
  sources: string[];
}

interface Line {
  keyword: string;
  args: string[];
  where: string;
}

const MAX_INCLUDE_DEPTH = 16;

/** Splits one config line into keyword and arguments (`Key value`, `Key=value`, quotes). */
export function tokenizeConfigLine(line: string): { keyword: string; args: string[] } | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const match = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)?(.*)$/.exec(trimmed);
  if (match === null) return undefined;
  const args: string[] = [];
  const rest = match[2] ?? '';
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
    const value = m[1] ?? m[2] ?? '';
    if (m[2] !== undefined && value.startsWith('#')) break;
    args.push(value);
  }
  return { keyword: (match[1] ?? '').toLowerCase(), args };
}

export interface SshConfigSource {
  /** Reads a file; undefined when it does not exist. */
  readFile(file: string): string | undefined;
  /** Expands a glob with `*`/`?` in the last path component. */
  glob(pattern: string): string[];
  home: string;
}

/** Far more than any ssh_config file; a bigger one is not read. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export const fileSystemSource = (home = os.homedir()): SshConfigSource => ({
  home,
  readFile(file) {
    // Not blocking on a FIFO, not reading a device without end: opened with
    // O_NONBLOCK and judged by fstat of that descriptor, as keys are.
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      return undefined;
    }
    try {
      const info = fstatSync(fd);
      return info.isFile() && info.size <= MAX_CONFIG_BYTES ? readFileSync(fd, 'utf8') : undefined;
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  },
  glob(pattern) {
    const dir = path.dirname(pattern);
    const base = path.basename(pattern);
    if (!/[*?]/.test(base)) return [pattern];
    const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    try {
      return readdirSync(dir).filter((name) => re.test(name)).sort().map((name) => path.join(dir, name));
    } catch {
      return [];
    }
  },
});

function readLines(file: string, source: SshConfigSource, depth: number): Line[] {
  const text = source.readFile(file);
  if (text === undefined) return [];
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const token = tokenizeConfigLine(raw);
    if (token === undefined) return;
    const where = `${file}:${index + 1}`;
    if (token.keyword === 'include' && depth < MAX_INCLUDE_DEPTH) {
      for (const arg of token.args) {
        const expanded = expandTilde(arg, source.home);
        const pattern = path.isAbsolute(expanded) ? expanded : path.join(source.home, '.ssh', expanded);
        for (const included of source.glob(pattern)) lines.push(...readLines(included, source, depth + 1));
      }
      return;
    }
    lines.push({ keyword: token.keyword, args: token.args, where });
  });
  return lines;
}

function expandTilde(value: string, home: string): string {
  if (value === '~') return home;
  if (value.startsWith('~/')) return path.join(home, value.slice(2));
  return value;
}

/** Expands %h %p %r %u %d %% and ~ in IdentityFile / known_hosts / RevokedHostKeys values. */
function expandTokens(value: string, host: SshConfigHost, source: SshConfigSource, localUser: string): string {
  const expanded = value.replace(/%([hprud%])/g, (_, token: string) => {
    switch (token) {
      case 'h':
        return host.hostName ?? host.alias;
      case 'p':
        return String(host.port ?? 22);
      case 'r':
        return host.user ?? localUser;
      case 'u':
        return localUser;
      case 'd':
        return source.home;
      default:
        return '%';
    }
  });
  return expandTilde(expanded, source.home);
}

export function resolveSshConfig(
  alias: string,
  options: { files?: string[]; source?: SshConfigSource; localUser?: string } = {},
): SshConfigHost {
  const source = options.source ?? fileSystemSource();
  const files = options.files ?? [path.join(source.home, '.ssh', 'config'), '/etc/ssh/ssh_config'];
  const localUser = options.localUser ?? os.userInfo().username;
  const result: SshConfigHost = { alias, identityFiles: [], sources: [] };
  const rawIdentityFiles: string[] = [];
  const rawKnownHosts: string[] = [];
  const rawGlobalKnownHosts: string[] = [];
  let rawRevoked: string | undefined;

  for (const file of files) {
    let active = true; // options before the first Host/Match apply to every host
    for (const line of readLines(file, source, 0)) {
      if (line.keyword === 'host') {
        active = matchHostPatternList(alias, line.args.join(',')) === 'match';
        continue;
      }
      if (line.keyword === 'match') {
        active = matchBlock(line.args, alias, result.hostName ?? alias);
        continue;
      }
      if (!active) continue;
      const first = line.args[0];
      if (first === undefined) continue;
      const take = (apply: () => void): void => {
        apply();
        result.sources.push(`${line.keyword} from ${line.where}`);
      };
      switch (line.keyword) {
        case 'hostname':
          if (result.hostName === undefined) take(() => (result.hostName = first));
          break;
        case 'user':
          if (result.user === undefined) take(() => (result.user = first));
          break;
        case 'port': {
          const port = Number(first);
          if (result.port === undefined && Number.isInteger(port) && port > 0 && port < 65536) take(() => (result.port = port));
          break;
        }
        case 'identityfile':
          take(() => rawIdentityFiles.push(first));
          break;
        case 'identitiesonly':
          if (result.identitiesOnly === undefined) take(() => (result.identitiesOnly = first.toLowerCase() === 'yes'));
          break;
        case 'proxyjump':
          if (result.proxyJump === undefined && first.toLowerCase() !== 'none') take(() => (result.proxyJump = first));
          break;
        case 'userknownhostsfile':
          if (rawKnownHosts.length === 0) take(() => rawKnownHosts.push(...line.args));
          break;
        case 'globalknownhostsfile':
          if (rawGlobalKnownHosts.length === 0) take(() => rawGlobalKnownHosts.push(...line.args));
          break;
        case 'revokedhostkeys':
          if (rawRevoked === undefined) take(() => (rawRevoked = first));
          break;
        case 'stricthostkeychecking':
          if (result.strictHostKeyChecking === undefined) take(() => (result.strictHostKeyChecking = first.toLowerCase()));
          break;
        case 'connecttimeout': {
          const seconds = Number(first);
          if (result.connectTimeout === undefined && Number.isInteger(seconds) && seconds > 0) take(() => (result.connectTimeout = seconds));
          break;
        }
        case 'serveraliveinterval': {
          const seconds = Number(first);
          if (result.serverAliveInterval === undefined && Number.isInteger(seconds) && seconds >= 0) take(() => (result.serverAliveInterval = seconds));
          break;
        }
        case 'serveralivecountmax': {
          const count = Number(first);
          if (result.serverAliveCountMax === undefined && Number.isInteger(count) && count > 0) take(() => (result.serverAliveCountMax = count));
          break;
        }
        default:
          break;
      }
    }
  }
  result.identityFiles = rawIdentityFiles.map((f) => expandTokens(f, result, source, localUser));
  const expandList = (raw: string[]): string[] | undefined =>
    raw.length === 0 ? undefined : isNone(raw) ? [] : raw.map((f) => expandTokens(f, result, source, localUser));
  const userKnownHosts = expandList(rawKnownHosts);
  if (userKnownHosts !== undefined) result.userKnownHostsFiles = userKnownHosts;
  const globalKnownHosts = expandList(rawGlobalKnownHosts);
  if (globalKnownHosts !== undefined) result.globalKnownHostsFiles = globalKnownHosts;
  if (rawRevoked !== undefined && !isNone([rawRevoked])) result.revokedHostKeys = expandTokens(rawRevoked, result, source, localUser);
  return result;
}

/** `none` as the only value turns a file option off, as in ssh_config(5). */
function isNone(values: readonly string[]): boolean {
  return values.length === 1 && values[0]?.toLowerCase() === 'none';
}

/** `Match` criteria pks understands; any other criterion makes the block not apply. */
function matchBlock(args: string[], alias: string, hostName: string): boolean {
  for (let i = 0; i < args.length; i += 1) {
    const criterion = (args[i] ?? '').toLowerCase();
    if (criterion === 'all') continue;
    const value = args[i + 1];
    if (value === undefined) return false;
    i += 1;
    if (criterion === 'host' && matchHostPatternList(hostName, value) === 'match') continue;
    if (criterion === 'originalhost' && matchHostPatternList(alias, value) === 'match') continue;
    return false;
  }
  return true;
}

/** Parses a ProxyJump hop `[user@]host[:port]` (the first hop of a list). */
export function parseJumpHost(spec: string): { host: string; user?: string; port?: number } {
  const first = spec.split(',')[0]?.trim() ?? '';
  const withoutScheme = first.replace(/^ssh:\/\//, '');
  const at = withoutScheme.lastIndexOf('@');
  const user = at >= 0 ? withoutScheme.slice(0, at) : undefined;
  let hostPort = at >= 0 ? withoutScheme.slice(at + 1) : withoutScheme;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  if (bracketed !== null) {
    hostPort = bracketed[1] ?? '';
    port = bracketed[2] === undefined ? undefined : Number(bracketed[2]);
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon > 0 && hostPort.indexOf(':') === colon) {
      port = Number(hostPort.slice(colon + 1));
      hostPort = hostPort.slice(0, colon);
    }
  }
  return withoutUndefined({ host: hostPort, user, port });
}
