// Private key files: read them the way OpenSSH does, refusing one that other
// users could read. The key material itself never appears in a message.

import type { Stats } from 'node:fs';
import { OperationError, errorMessage } from '../common/errors.js';
import { readUserFile } from '../store/user-files.js';

type KeyFileStats = Pick<Stats, 'mode' | 'uid' | 'isFile'>;

/**
 * OpenSSH's sshkey_perm_ok: a key owned by the current user must not be
 * accessible by group or others. A key owned by someone else (root reading a
 * user's key, say) is not judged, exactly as OpenSSH does.
 */
export function checkPrivateKeyPermissions(path: string, stats: KeyFileStats, currentUid: number | undefined): void {
  if (!stats.isFile()) {
    throw notRegularFile(path);
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

/** Far more than any private key (an RSA-16384 one is ~12 KiB): a bigger file is not a key. */
export const MAX_PRIVATE_KEY_BYTES = 1024 * 1024;

/**
 * Reads a private key file and checks its permissions. A FIFO, device or
 * folder is refused without being read (it could block forever or never
 * end), and so is a file bigger than any key; symlinks are followed, as
 * OpenSSH does.
 */
export async function readPrivateKeyFile(path: string): Promise<Buffer> {
  const read = await readUserFile(path, MAX_PRIVATE_KEY_BYTES);
  switch (read.kind) {
    case 'missing':
      throw new OperationError('E_SSH_KEY_MISSING', `The private key ${path} does not exist.`, {
        hint: 'Check the identity file configured for this host.',
      });
    case 'unreadable':
      throw new OperationError('E_SSH_KEY_INVALID', `Cannot read the private key ${path}: ${errorMessage(read.error)}`, { cause: read.error });
    case 'directory':
    case 'special':
      throw notRegularFile(path);
    case 'too-large':
      throw new OperationError('E_SSH_KEY_INVALID', `${path} is ${read.size} bytes: a private key is never larger than 1 MiB.`, {
        hint: 'Name the private key file (id_ed25519, id_rsa, ...).',
      });
    case 'file':
      break;
  }
  try {
    checkPrivateKeyPermissions(path, { mode: read.mode, uid: read.uid, isFile: () => true }, process.getuid?.());
  } catch (error) {
    // A public key (--key id_ed25519.pub) is readable by all, as it should
    // be: say what is wrong with it, not how to hide it.
    if (PUBLIC_KEY_LINE.test(read.data.toString('latin1').trimStart())) throw publicKeyError(path);
    throw error;
  }
  return read.data;
}

function notRegularFile(path: string): OperationError {
  return new OperationError('E_SSH_KEY_INVALID', `The private key ${path} is not a regular file.`, {
    hint: 'Name the private key file itself (a FIFO, device or folder is never read).',
  });
}

/** The start of a public key line: `ssh-ed25519 AAAA…`, `ecdsa-sha2-nistp256 AAAA…`, `sk-…`. */
const PUBLIC_KEY_LINE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) AAAA/;

export function publicKeyError(path: string): OperationError {
  return new OperationError('E_SSH_KEY_INVALID', `${path} holds a public key, not a private key.`, {
    hint: 'Name the private key file (the one without .pub).',
  });
}
