// Reading and appending known_hosts files on disk.

import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { OperationError, errorMessage, systemErrorCode } from '../common/errors.js';
import { parseKnownHosts, type KnownHostsEntry } from './known-hosts.js';

/** ssh_config's default UserKnownHostsFile. */
export function defaultKnownHostsFiles(home = homedir()): string[] {
  return [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')];
}

/** ssh_config's default GlobalKnownHostsFile (`root` moves it, for tests). */
export function defaultGlobalKnownHostsFiles(root = '/'): string[] {
  return [join(root, 'etc', 'ssh', 'ssh_known_hosts'), join(root, 'etc', 'ssh', 'ssh_known_hosts2')];
}

/** Reads and parses every file; a missing file simply contributes nothing. */
export async function readKnownHostsFiles(files: readonly string[]): Promise<KnownHostsEntry[]> {
  const parsed = await Promise.all(
    files.map(async (file) => {
      try {
        return parseKnownHosts(await readFile(file, 'utf8'), file);
      } catch (error) {
        if (systemErrorCode(error) === 'ENOENT') return [];
        throw new OperationError('E_KNOWN_HOSTS_READ', `Cannot read known_hosts file ${file}: ${errorMessage(error)}`, {
          cause: error,
        });
      }
    }),
  );
  return parsed.flat();
}

/**
 * Appends one line. A single write on a file opened with O_APPEND lands whole
 * even if another ssh or pks process appends at the same time, which is what
 * OpenSSH relies on too; a missing file is created 0600 (and ~/.ssh 0700).
 */
export async function appendKnownHostsLine(file: string, line: string): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    let prefix = '';
    try {
      const current = await readFile(file, 'utf8');
      if (current.length > 0 && !current.endsWith('\n')) prefix = '\n';
    } catch (error) {
      if (systemErrorCode(error) !== 'ENOENT') throw error;
    }
    await appendFile(file, `${prefix}${line}\n`, { mode: 0o600, flag: 'a' });
  } catch (error) {
    throw new OperationError('E_KNOWN_HOSTS_WRITE', `Cannot add the host key to ${file}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}
