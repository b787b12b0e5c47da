// Private key files: read them the way OpenSSH does, refusing one that other
// users could read. The key material itself never appears in a message.

import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { OperationError, errorMessage, systemErrorCode } from '../common/errors.js';

type KeyFileStats = Pick<Stats, 'mode' | 'uid' | 'isFile'>;

/**
 * OpenSSH's sshkey_perm_ok: a key owned by the current user must not be
 * accessible by group or others. A key owned by someone else (root reading a
 * user's key, say) is not judged, exactly as OpenSSH does.
 */
export function checkPrivateKeyPermissions(path: string, stats: KeyFileStats, currentUid: number | undefined): void {
  if (!stats.isFile()) {
    throw new OperationError('E_SSH_KEY_INVALID', `The private key ${path} is not a regular file.`);
  }
  if (currentUid !== undefined && stats.uid !== currentUid) return;
  const loose = stats.mode & 0o077;
  if (loose !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
    throw new OperationError(
      'E_SSH_KEY_PERMISSIONS',
      `Permissions ${mode} for the private key ${path} are too open: it must not be accessible by ` +
        `group or others. This key is ignored, as ssh would.`,
      { hint: `Run: chmod 600 ${path}` },
    );
  }
}

/** Reads a private key file after the permission check. */
export async function readPrivateKeyFile(path: string): Promise<Buffer> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') {
      throw new OperationError('E_SSH_KEY_MISSING', `The private key ${path} does not exist.`, {
        hint: 'Check the identity file configured for this host.',
      });
    }
    throw new OperationError('E_SSH_KEY_INVALID', `Cannot read the private key ${path}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  try {
    checkPrivateKeyPermissions(path, stats, process.getuid?.());
  } catch (error) {
    // A public key (--key id_ed25519.pub) is readable by all, as it should
    // be: say what is wrong with it, not how to hide it.
    if (await holdsPublicKey(path)) throw publicKeyError(path);
    throw error;
  }
  try {
    return await readFile(path);
  } catch (error) {
    throw new OperationError('E_SSH_KEY_INVALID', `Cannot read the private key ${path}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

/** The start of a public key line: `ssh-ed25519 AAAA…`, `ecdsa-sha2-nistp256 AAAA…`, `sk-…`. */
const PUBLIC_KEY_LINE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) AAAA/;

async function holdsPublicKey(path: string): Promise<boolean> {
  const text = await readFile(path, 'latin1').catch(() => '');
  return PUBLIC_KEY_LINE.test(text.trimStart());
}

export function publicKeyError(path: string): OperationError {
  return new OperationError('E_SSH_KEY_INVALID', `${path} holds a public key, not a private key.`, {
    hint: 'Name the private key file (the one without .pub).',
  });
}
