// known_hosts parsing and host key checking, as strict as OpenSSH's
// StrictHostKeyChecking: an exact match is accepted, a revoked key is refused,
// any other key for a known host is a changed host (refused), and a host with
// no entry at all is unknown (refused unless the caller accepts new hosts).

import {
  isHashedHostField,
  knownHostsName,
  matchHashedHost,
  matchHostPatternList,
} from './host-patterns.js';
import { keyTypeOfBlob } from './key-blob.js';

export interface KnownHostsEntry {
  file: string;
  /** 1-based, for messages that tell the user which line to fix. */
  line: number;
  marker: 'revoked' | 'cert-authority' | undefined;
  /** The host field as written: a pattern list or a hashed `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  keyBlob: Buffer;
}

/**
 * Parses known_hosts text. Comments, blank and malformed lines are skipped, as
 * OpenSSH does (a broken line must not make every host unreachable).
 */
export function parseKnownHosts(text: string, file: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const entry = parseLine(lines[index] ?? '', file, index + 1);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

function parseLine(raw: string, file: string, line: number): KnownHostsEntry | undefined {
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const fields = trimmed.split(/\s+/);
  let marker: KnownHostsEntry['marker'];
  if (fields[0]?.startsWith('@')) {
    const name = fields.shift();
    if (name === '@revoked') marker = 'revoked';
    else if (name === '@cert-authority') marker = 'cert-authority';
    else return undefined;
  }
  const [hosts, keyType, base64] = fields;
  if (hosts === undefined || keyType === undefined || base64 === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const keyBlob = Buffer.from(base64, 'base64');
  // A blob whose embedded type disagrees with the declared one is corrupt.
  if (keyTypeOfBlob(keyBlob) !== keyType) return undefined;
  return { file, line, marker, hosts, keyType, keyBlob };
}

/** Whether an entry's host field names this host (`host` or `[host]:port`). */
export function entryMatchesHost(entry: KnownHostsEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (isHashedHostField(entry.hosts)) return matchHashedHost(name, entry.hosts);
  return matchHostPatternList(name, entry.hosts) === 'match';
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostsEntry }
  | { status: 'revoked'; entry: KnownHostsEntry }
  /** Entries that name the host with other keys; same key type first. */
  | { status: 'changed'; entries: KnownHostsEntry[] }
  | { status: 'unknown' };

/** Decides what to do with the host key a server presented. */
export function checkHostKey(
  entries: readonly KnownHostsEntry[],
  host: string,
  port: number,
  presented: Buffer,
): HostKeyVerdict {
  // CA lines would need certificate host keys, which pks does not request;
  // they say nothing about a plain host key, so they are ignored.
  const relevant = entries.filter(
    (entry) => entry.marker !== 'cert-authority' && entryMatchesHost(entry, host, port),
  );
  const revoked = relevant.find((entry) => entry.marker === 'revoked' && entry.keyBlob.equals(presented));
  if (revoked !== undefined) return { status: 'revoked', entry: revoked };
  const plain = relevant.filter((entry) => entry.marker === undefined);
  const exact = plain.find((entry) => entry.keyBlob.equals(presented));
  if (exact !== undefined) return { status: 'known', entry: exact };
  if (plain.length === 0) return { status: 'unknown' };
  const presentedType = keyTypeOfBlob(presented);
  const sameTypeFirst = [...plain].sort(
    (a, b) => Number(b.keyType === presentedType) - Number(a.keyType === presentedType),
  );
  return { status: 'changed', entries: sameTypeFirst };
}

/** The key types recorded for a host, to prefer them in negotiation. */
export function knownKeyTypes(entries: readonly KnownHostsEntry[], host: string, port: number): string[] {
  const types = entries
    .filter((entry) => entry.marker === undefined && entryMatchesHost(entry, host, port))
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}

/** A plain known_hosts line for a newly accepted host key. */
export function formatKnownHostsLine(host: string, port: number, blob: Buffer): string {
  const keyType = keyTypeOfBlob(blob);
  if (keyType === undefined) throw new Error('host key blob has no key type');
  return `${knownHostsName(host, port)} ${keyType} ${blob.toString('base64')}`;
}
