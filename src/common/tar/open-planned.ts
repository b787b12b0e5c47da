// Opening a file that was chosen earlier (by an lstat) for an archive. Between
// the choice and the read the path may have been replaced: by a symlink
// (whose target must never be sent in its place), by a FIFO or a device
// (whose open would block until a writer comes), or by another file. So the
// open never follows a symlink (O_NOFOLLOW), never waits (O_NONBLOCK, and it
// runs off the event loop), and what it opened is checked against the plan.

import { closeSync, constants, fstatSync, open, type BigIntStats } from 'node:fs';
import { promisify } from 'node:util';
import { systemErrorCode } from '../errors.js';

/** What makes a file the one that was planned: its device and inode (as lstat gave them). */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
}

export function identityOf(info: BigIntStats): FileIdentity {
  return { dev: info.dev, ino: info.ino };
}

export function sameIdentity(info: BigIntStats, expected: FileIdentity): boolean {
  return info.dev === expected.dev && info.ino === expected.ino;
}

/** What a path turned out to be, for a message. */
export function kindOf(info: BigIntStats): string {
  if (info.isFile()) return 'a file';
  if (info.isDirectory()) return 'a folder';
  if (info.isSymbolicLink()) return 'a symlink';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  return 'a device';
}

/** The path is no longer what was planned; nothing of it was read. */
export function replacedError(file: string, now: string): Error {
  return new Error(`${file} was replaced after it was listed for the upload (it is now ${now}); nothing of it was sent`);
}

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const openFd = promisify(open);

/**
 * Opens `file` for reading if it is still a regular file — and, given
 * `expected`, the very file that was planned — and returns its descriptor
 * (the caller closes it). Anything else is an error naming what it became.
 * Only the open goes to the thread pool (it is the one call that could
 * wait); fstat and close of what O_NONBLOCK opened return at once.
 */
export async function openPlannedFile(file: string, expected?: FileIdentity): Promise<number> {
  let fd: number;
  try {
    fd = await openFd(file, FLAGS);
  } catch (error) {
    // O_NOFOLLOW on a symlink: ELOOP (Linux), EMLINK (FreeBSD), EFTYPE (NetBSD).
    const code = systemErrorCode(error);
    if (code === 'ELOOP' || code === 'EMLINK' || code === 'EFTYPE') throw replacedError(file, 'a symlink');
    throw error;
  }
  try {
    const info = fstatSync(fd, { bigint: true });
    if (!info.isFile()) throw replacedError(file, kindOf(info));
    if (expected !== undefined && !sameIdentity(info, expected)) throw replacedError(file, 'another file');
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}
