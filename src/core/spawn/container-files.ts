// Reading small files out of a container (created or running) through
// GET /containers/{id}/archive: /etc/passwd to find the remote user's uid, and
// the copy of the dev container configuration inside the workspace volume.

import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extractTar } from '../../common/tar/tar-reader.js';
import { isEngineApiError, type EngineClient } from '../../engine/index.js';

/**
 * The file's bytes, or undefined when the container has no such file. A
 * symlink is followed inside the container (a devcontainer.json linked to a
 * shared one), a few levels deep.
 */
export async function readContainerFile(engine: EngineClient, containerId: string, file: string, depth = 0): Promise<Buffer | undefined> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pks-read-'));
  try {
    let archive;
    try {
      archive = await engine.getArchive(containerId, file);
    } catch (error) {
      if (isEngineApiError(error, 404)) return undefined;
      throw error;
    }
    const entries = await extractTar(archive, dir, { skipSymlinks: true });
    const [top] = entries;
    if (top?.type === 'symlink') {
      return depth >= 8 ? undefined : readContainerFile(engine, containerId, path.posix.resolve(path.posix.dirname(file), top.linkname), depth + 1);
    }
    const first = entries.find((entry) => entry.type === 'file');
    if (first === undefined) return undefined;
    return await readFile(path.join(dir, first.name));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface UserIds {
  uid: number;
  gid: number;
  /** Where the ids came from, for messages. */
  source: string;
}

/**
 * The uid:gid of `user` as the image defines it: numeric forms are taken as
 * they are, names are looked up in the container's /etc/passwd.
 */
export async function resolveUserIds(engine: EngineClient, containerId: string, user: string | undefined): Promise<UserIds | undefined> {
  const spec = user === undefined || user === '' ? 'root' : user;
  // A numeric user needs no lookup.
  const numeric = /^\d+$/.test(spec.split(':')[0] ?? '');
  return userIdsIn(numeric ? undefined : await readContainerFile(engine, containerId, '/etc/passwd'), spec);
}

/** `user` (`name`, `uid`, `name:group`, …) looked up in the bytes of an /etc/passwd (undefined: the image has none). */
export function userIdsIn(passwd: Buffer | undefined, user: string): UserIds | undefined {
  const [name = 'root', group] = user.split(':');
  if (/^\d+$/.test(name)) {
    const uid = Number(name);
    return { uid, gid: group !== undefined && /^\d+$/.test(group) ? Number(group) : uid, source: `numeric user ${user}` };
  }
  if (passwd === undefined) return name === 'root' ? { uid: 0, gid: 0, source: 'root (no /etc/passwd)' } : undefined;
  for (const line of passwd.toString('utf8').split('\n')) {
    const fields = line.split(':');
    if (fields[0] !== name || fields.length < 4) continue;
    const uid = Number(fields[2]);
    const gid = Number(fields[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid, source: `/etc/passwd entry of ${name}` };
  }
  return name === 'root' ? { uid: 0, gid: 0, source: 'root' } : undefined;
}
