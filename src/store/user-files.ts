// Reading the files a user points pks at (~/.ssh/config, private keys, the
// hosts file): never block on a FIFO or a device, never read more than such a
// file can sensibly hold, and say exactly why a file could not be read, so
// that a file pks could not read is never rewritten.

import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, systemErrorCode } from '../common/errors.js';

export type UserFileRead =
  | { kind: 'file'; data: Buffer; mode: number; uid: number }
  | { kind: 'missing' }
  | { kind: 'directory' }
  /** A FIFO, a device or a socket. */
  | { kind: 'special' }
  | { kind: 'too-large'; size: number }
  | { kind: 'unreadable'; error: unknown };

/**
 * Reads `file` (symlinks followed, as ssh does) if it is a regular file of
 * at most `maxBytes`. It is opened with O_NONBLOCK and judged by fstat of
 * that same descriptor: opening a FIFO does not wait for a writer, and what
 * is read is what was checked.
 */
export async function readUserFile(file: string, maxBytes: number): Promise<UserFileRead> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    return systemErrorCode(error) === 'ENOENT' ? { kind: 'missing' } : { kind: 'unreadable', error };
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) return { kind: 'directory' };
    if (!info.isFile()) return { kind: 'special' };
    if (info.size > maxBytes) return { kind: 'too-large', size: info.size };
    // Sized by fstat (the cap is far above what such files hold); the file may
    // grow meanwhile, so the buffer grows too, up to one byte over the cap.
    let buffer = Buffer.allocUnsafe(Math.min(maxBytes, info.size) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(Math.min(buffer.length, maxBytes + 1 - buffer.length))]);
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return { kind: 'too-large', size: length };
    }
    return { kind: 'file', data: buffer.subarray(0, length), mode: info.mode, uid: info.uid };
  } catch (error) {
    return { kind: 'unreadable', error };
  } finally {
    await handle.close();
  }
}

/** Why `read` is not a file's content, in words that follow the file's name. */
export function describeUnreadable(read: Exclude<UserFileRead, { kind: 'file' | 'missing' }>, maxBytes: number): string {
  switch (read.kind) {
    case 'directory':
      return 'is a folder, not a file';
    case 'special':
      return 'is not a regular file (a FIFO, device or socket)';
    case 'too-large':
      return `is ${read.size} bytes: larger than the ${maxBytes} bytes pks reads`;
    case 'unreadable':
      return `cannot be read (${errorMessage(read.error)})`;
  }
}

const MAX_SYMLINKS = 40;

/**
 * The file a write to `file` must replace: `file` itself, or, when it is a
 * symlink (dotfiles managers make them), the file at the end of the chain of
 * links — which may not exist yet (a dangling link). Writing there keeps the
 * link a link.
 */
export async function symlinkTarget(file: string): Promise<string> {
  let current = path.resolve(file);
  for (let hops = 0; hops < MAX_SYMLINKS; hops++) {
    let isLink: boolean;
    try {
      isLink = (await lstat(current)).isSymbolicLink();
    } catch (error) {
      if (systemErrorCode(error) === 'ENOENT') return current;
      throw error;
    }
    if (!isLink) return current;
    current = path.resolve(path.dirname(current), await readlink(current));
  }
  throw Object.assign(new Error(`too many levels of symbolic links at ${file}`), { code: 'ELOOP' });
}
