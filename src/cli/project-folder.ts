// Which folder `spawn` means when it is run inside a project rather than at
// its top: the nearest folder, going up, that has a dev container
// configuration (`.devcontainer/devcontainer.json`, `.devcontainer.json`,
// `.devcontainer/<name>/devcontainer.json`), as `exec` and the other commands
// find the current folder's container from a sub-folder.
//
// The search never leaves what is plausibly the user's own project: it stops
// at the root of the git work tree (a folder holding `.git`), at the home
// folder and at the file system root, and it does not enter a folder owned by
// another user or writable by group or others: a `.devcontainer.json` someone
// else planted in /tmp or in a shared parent would otherwise run its
// initializeCommand on this machine.

import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../common/errors.js';
import { findConfigCandidates } from '../devcontainer/index.js';

async function entry(file: string): Promise<{ uid: number; mode: number } | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT' || systemErrorCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * `start` itself when it has a configuration; else the nearest folder above it
 * that has one, within the limits above; undefined when there is none.
 */
export async function findProjectFolder(start: string, options: { home?: string | undefined; uid?: number | undefined }): Promise<string | undefined> {
  const home = options.home === undefined || options.home === '' ? undefined : path.resolve(options.home);
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (dir !== path.resolve(start)) {
      const info = await entry(dir);
      const othersCanWrite = (info?.mode ?? 0) & 0o022;
      if (info === undefined || othersCanWrite !== 0 || (options.uid !== undefined && info.uid !== options.uid)) return undefined;
    }
    if ((await findConfigCandidates(dir)).length > 0) return dir;
    const isTop = (await entry(path.join(dir, '.git'))) !== undefined || dir === home || path.dirname(dir) === dir;
    if (isTop) return undefined;
  }
}
