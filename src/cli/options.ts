// Option conventions shared by every command, so `--format`, `--remote` and
// friends mean the same thing everywhere and parse the same way.

import { InvalidArgumentError, Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { REMOTE_ID_PATTERN } from '../common/defaults.js';
import { LOCAL_HOST_ID } from '../core/containers/labels.js';

export const OUTPUT_FORMATS = ['table', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `--format table|json` for commands that print data. */
export function formatOption() {
  return new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table' as const);
}

/** `--remote <id>`: run against a registered remote host instead of the local engine. */
export function remoteOption() {
  return new Option('--remote <id>', 'remote host id, or "local" (default: pks remote default)').argParser(
    parseRemoteId,
  );
}

export function parseRemoteId(value: string): string {
  if (!REMOTE_ID_PATTERN.test(value)) {
    throw new InvalidArgumentError(
      'a remote id is 1-63 lowercase letters, digits, "-" or "_", starting with a letter or digit.',
    );
  }
  return value;
}

/** The id of a host to register: any remote id but `local`, which names the local engine in lists and labels. */
export function parseNewRemoteId(value: string): string {
  if (value === LOCAL_HOST_ID) throw new InvalidArgumentError(`"${LOCAL_HOST_ID}" names the local engine (in lists and labels); choose another id.`);
  return parseRemoteId(value);
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError('a port is a whole number from 1 to 65535.');
  }
  return port;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('expected a whole number (0 or more).');
  }
  return n;
}

/** `KEY=VALUE` for repeatable --env options. */
export function collectKeyValue(value: string, previous: string[] = []): string[] {
  if (!/^[^=\s]+=/.test(value)) throw new InvalidArgumentError('expected KEY=VALUE.');
  return [...previous, value];
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a whole number greater than 0.');
  }
  return n;
}

/** A name, path or socket that must say something: `--name ''` is a slip, not a choice. */
export function parseNonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('it must not be empty.');
  return value;
}

/**
 * A host or user name for SSH: it ends up in ssh commands and ssh_config
 * lines pks prints and writes, so refuse what ssh(1) refuses (a leading "-",
 * which would read as an option) and what cannot be written there safely.
 */
export function parseSshName(value: string): string {
  // 255: the longest DNS name, and far more than any user name; a longer
  // value is a slip (or an attack on what prints and stores it).
  if (value === '' || value.length > SSH_NAME_MAX || value.startsWith('-') || /[\s"]|\p{Cc}/u.test(value)) {
    throw new InvalidArgumentError(`expected a name or address of at most ${SSH_NAME_MAX} characters: not empty, not starting with "-", without spaces, quotes or control characters.`);
  }
  return value;
}

const SSH_NAME_MAX = 255;

/** A path on a remote host (its Docker socket): relative to what? The remote login's folder is nobody's intent. */
export function parseRemoteSocketPath(value: string): string {
  if (!value.startsWith('/')) throw new InvalidArgumentError('the socket on the host is an absolute path (e.g. /var/run/docker.sock).');
  return value;
}

/**
 * `--x` and `--no-x` share one value, so commander keeps whichever came last
 * and its .conflicts() cannot tell the two apart: refuse them together here,
 * with commander's own wording and exit code.
 */
export function refuseBothForms(command: CommandUnknownOpts, name: string): void {
  const seen = new Set<string>();
  for (const form of [name, `no-${name}`]) {
    command.on(`option:${form}`, () => {
      seen.add(form);
      if (seen.size < 2) return;
      const other = form === name ? `no-${name}` : name;
      command.error(`error: option '--${form}' cannot be used with option '--${other}'`, { code: 'commander.conflictingOption', exitCode: 2 });
    });
  }
}

// The engine's own rule for local volume names (moby's RestrictedNamePattern).
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function parseVolumeName(value: string): string {
  if (!VOLUME_NAME.test(value)) {
    throw new InvalidArgumentError('a volume name is 2 or more letters, digits, "_", "." or "-", starting with a letter or digit.');
  }
  return value;
}
