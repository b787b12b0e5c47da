// File primitives for pks's own state: a private directory, atomic writes and
// an exclusive lock. The hosts file is the only local state pks keeps, so it
// must never be half-written, never readable by other users, and never lose
// an entry when two pks processes write at once.

import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { chmod, link, mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { OperationError, errorMessage, systemErrorCode } from '../common/errors.js';
import { symlinkTarget } from './user-files.js';

/**
 * Makes `dir` ready to hold pks's private files. The folders it creates
 * (`dir` and missing parents) are made 0700. A folder that already exists is
 * never chmod'ed — it may be shared, or a symlink's target the user chose —
 * but, as OpenSSH judges the folders of its files, one owned by another user
 * or writable by group or others without the sticky bit is refused: someone
 * else could replace what pks writes there.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const absolute = path.resolve(dir);
  try {
    for (const created of await missingFolders(absolute)) {
      try {
        await mkdir(created, { mode: 0o700 });
      } catch (error) {
        if (systemErrorCode(error) === 'EEXIST') continue; // another pks made it meanwhile
        throw error;
      }
      // mkdir's mode is filtered by the umask; state it explicitly.
      await chmod(created, 0o700);
    }
  } catch (error) {
    throw new OperationError('E_STATE_DIR', `Cannot create the folder ${absolute}: ${errorMessage(error)}`, {
      hint: 'Check the permissions of its parent folder, or point PKS_HOME at a folder of yours.',
      cause: error,
    });
  }
  let info: Stats;
  try {
    info = await stat(absolute);
  } catch (error) {
    throw new OperationError('E_STATE_DIR', `Cannot use the folder ${absolute}: ${errorMessage(error)}`, {
      hint: 'Point PKS_HOME at a folder of yours.',
      cause: error,
    });
  }
  const problem = unsafeFolderProblem(info, process.getuid?.());
  if (problem !== undefined) {
    const fix = info.isDirectory() && problem.startsWith('is writable') ? `run chmod go-w ${absolute} (pks never changes the mode of a folder it did not create)` : 'use a folder of your own';
    throw new OperationError('E_STATE_DIR_UNSAFE', `pks will not write its files in ${absolute}: it ${problem}.`, {
      hint: `Others could replace them there: ${fix}, or point PKS_HOME at another folder.`,
    });
  }
}

/** `dir` and its parents that do not exist yet, outermost first. */
async function missingFolders(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      await stat(current);
      return missing;
    } catch (error) {
      if (systemErrorCode(error) !== 'ENOENT' || path.dirname(current) === current) throw error;
      missing.unshift(current);
    }
  }
}

/** Why a folder is no safe place for private files (OpenSSH's rule), or undefined. */
export function unsafeFolderProblem(info: Pick<Stats, 'mode' | 'uid' | 'isDirectory'>, currentUid: number | undefined): string | undefined {
  if (!info.isDirectory()) return 'is not a folder';
  if (currentUid !== undefined && info.uid !== currentUid) return `is owned by another user (uid ${info.uid})`;
  const sticky = (info.mode & 0o1000) !== 0;
  if ((info.mode & 0o022) !== 0 && !sticky) {
    return `is writable by group or others (mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')}) without the sticky bit`;
  }
  return undefined;
}

/**
 * Writes `content` to `file` atomically: a temporary file in the same
 * directory (mode 0600 from the start, so the content is never exposed;
 * `mode` once written), flushed to disk, then renamed over the target. A
 * `file` that is a symlink stays one: the file it leads to is replaced,
 * through a temporary file beside it.
 */
export async function writeFileAtomic(file: string, content: string | Buffer, options: { mode?: number } = {}): Promise<void> {
  const target = await symlinkTarget(file);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(content);
    if (options.mode !== undefined) await handle.chmod(options.mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** How long a lock of an exited owner must stay unchanged before it is taken over. */
const STALE_CONFIRM_MS = 500;

export interface LockOptions {
  /** How long to wait for another process to release the lock. */
  timeoutMs?: number;
  /** A lock older than this whose owner cannot be checked is taken over. */
  staleMs?: number;
}

/**
 * Runs `work` while holding an exclusive lock file (`O_EXCL` create). The lock
 * records the owner's pid, and a token of this acquisition, so that a lock
 * left by a crashed process is recognised and taken over instead of blocking
 * every later command — and so that only that lock is taken over: an owner
 * that released its lock and exited right after another process read it
 * looks just like a crashed one (seen with 20 concurrent `remote add`s:
 * entries lost).
 */
export async function withFileLock<T>(lockFile: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const mine = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  let delay = 5;
  // A lock whose owner has exited is taken over only once it has stayed the
  // same lock (same token) for STALE_CONFIRM_MS: an owner that released its
  // lock and exited just after we read it looks dead too, and by then the
  // lock may be someone else's.
  let suspect: { content: string; since: number } | undefined;
  for (;;) {
    try {
      const handle = await open(lockFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await handle.writeFile(mine);
      await handle.close();
      break;
    } catch (error) {
      if (systemErrorCode(error) !== 'EEXIST') throw error;
      const stale = await staleLock(lockFile, staleMs);
      if (stale === undefined || stale !== suspect?.content) {
        suspect = stale === undefined ? undefined : { content: stale, since: Date.now() };
      } else if (Date.now() - suspect.since >= STALE_CONFIRM_MS) {
        await takeOverStaleLock(lockFile, stale);
        suspect = undefined;
        continue;
      }
      if (Date.now() >= deadline) {
        throw new OperationError('E_LOCK_TIMEOUT', `Timed out waiting for the lock ${lockFile}.`, {
          hint: 'Another pks command is writing the same file. If none is running, delete the lock file.',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
      delay = Math.min(delay * 2, 100);
    }
  }
  try {
    return await work();
  } finally {
    // Only our own lock: never one a process took over from us meanwhile.
    if ((await readFile(lockFile, 'utf8').catch(() => undefined)) === mine) await unlink(lockFile).catch(() => undefined);
  }
}

/**
 * Removes the lock file if it still holds `stale`: moved aside first (an
 * atomic rename), then compared; a lock that turns out to be another, live
 * one is put back (unless a third process has taken the lock meanwhile).
 */
export async function takeOverStaleLock(lockFile: string, stale: string): Promise<void> {
  const aside = `${lockFile}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockFile, aside);
  } catch {
    return; // gone already: just try again
  }
  if ((await readFile(aside, 'utf8').catch(() => undefined)) !== stale) await link(aside, lockFile).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/** The lock's content if its owner is gone (or, without an owner to check, it is older than `staleMs`). */
async function staleLock(lockFile: string, staleMs: number): Promise<string | undefined> {
  let content: string;
  try {
    content = await readFile(lockFile, 'utf8');
  } catch {
    // Released between our attempt and this read: not stale, just retry.
    return undefined;
  }
  const pid = Number.parseInt(content.trim(), 10);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      return undefined;
    } catch (error) {
      return systemErrorCode(error) === 'ESRCH' ? content : undefined;
    }
  }
  // Empty or partial: the owner may be between create and write. Only an old
  // one is stale.
  try {
    const info = await stat(lockFile);
    return Date.now() - info.mtimeMs > staleMs ? content : undefined;
  } catch {
    return undefined;
  }
}
