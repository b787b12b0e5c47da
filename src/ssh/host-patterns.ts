// Host pattern matching with OpenSSH's semantics (match.c), so that a
// known_hosts file means the same thing to pks as it does to `ssh`.

import { createHmac } from 'node:crypto';

/**
 * The name a host is recorded under in known_hosts: the bare host for port 22,
 * `[host]:port` otherwise (OpenSSH's put_host_port). Lowercased because
 * OpenSSH lowercases the host before looking it up.
 */
export function knownHostsName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/**
 * Glob match where `*` matches any run of characters and `?` exactly one, as
 * OpenSSH's match_pattern. Iterative with single backtracking point, which is
 * enough for `*` globs and never goes exponential.
 */
export function matchWildcard(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '?' || (pc !== undefined && pc !== '*' && pc === text[t])) {
      t++;
      p++;
    } else if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (starP !== -1) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

export type PatternListMatch = 'match' | 'negated' | 'none';

/**
 * OpenSSH's match_pattern_list over a comma-separated list: a matching `!`
 * pattern vetoes the whole list (even if a positive pattern also matches),
 * otherwise any matching positive pattern is a match. Case-insensitive.
 */
export function matchHostPatternList(name: string, list: string): PatternListMatch {
  const subject = name.toLowerCase();
  let matched = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (pattern === '') continue;
    if (matchWildcard(subject, pattern)) {
      if (negated) return 'negated';
      matched = true;
    }
  }
  return matched ? 'match' : 'none';
}

const HASH_MAGIC = '|1|';

/** Whether a known_hosts host field is a hashed entry (`|1|salt|hash`). */
export function isHashedHostField(field: string): boolean {
  return field.startsWith(HASH_MAGIC);
}

/**
 * Compares a hashed known_hosts host field with a name: the hash is
 * HMAC-SHA1 keyed with the salt over the name, both base64 (hostfile.c).
 * A malformed hashed field matches nothing.
 */
export function matchHashedHost(name: string, field: string): boolean {
  const parts = field.slice(HASH_MAGIC.length).split('|');
  if (parts.length !== 2 || parts[0] === undefined || parts[1] === undefined) return false;
  const salt = Buffer.from(parts[0], 'base64');
  const expected = Buffer.from(parts[1], 'base64');
  if (salt.length !== 20 || expected.length !== 20) return false;
  const actual = createHmac('sha1', salt).update(name.toLowerCase()).digest();
  return actual.equals(expected);
}

/** Builds a hashed host field; used by tests and by anyone wanting HashKnownHosts. */
export function hashHostName(name: string, salt: Buffer): string {
  const hash = createHmac('sha1', salt).update(name.toLowerCase()).digest();
  return `${HASH_MAGIC}${salt.toString('base64')}|${hash.toString('base64')}`;
}
