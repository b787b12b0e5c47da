// The copy of the dev container configuration inside the workspace volume.
// A container is rebuilt from this machine's configuration but never uploads
// over the volume's files; its configuration files are the exception when
// they are still as pks left them there (the upload marker records how that
// was): then this machine's version replaces them, so that the volume and the
// new container agree and the next spawn sees no edit made inside.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { tarStream } from '../../common/tar/tar-writer.js';
import type { EngineClient } from '../../engine/index.js';
import { resolveUserIds } from './container-files.js';
import { volumeFileDigests } from './drift.js';
import { writeUploadMarker } from './volume.js';
import type { WorkspaceLayout } from './workspace-layout.js';

/** Writes this machine's version of the project-relative `files` into the volume, owned by the remote user. */
export async function writeHostFilesIntoVolume(
  engine: EngineClient,
  containerId: string,
  into: { layout: WorkspaceLayout; projectPath: string; remoteUser: string | undefined },
  files: readonly string[],
): Promise<void> {
  if (files.length === 0) return;
  const owner = (await resolveUserIds(engine, containerId, into.remoteUser)) ?? { uid: 0, gid: 0 };
  const entries = await Promise.all(
    files.map(async (file) => ({
      type: 'file' as const,
      name: file.split(path.sep).join('/'),
      mode: 0o644,
      content: await readFile(path.join(into.projectPath, file)),
      uid: owner.uid,
      gid: owner.gid,
    })),
  );
  await engine.putArchive(containerId, { path: into.layout.root, body: tarStream(entries) });
}

/**
 * Brings the volume's configuration files up to this machine's (`host`,
 * digests by project-relative path) where they are still as `recorded`, and
 * records the result. A file edited inside the container keeps its edit and
 * its old record, so the next spawn still asks about it. Without a record
 * (a volume from an earlier pks) the volume's files are taken as they are.
 * Returns the files written.
 */
export async function syncConfigIntoVolume(
  engine: EngineClient,
  containerId: string,
  into: { layout: WorkspaceLayout; projectPath: string; remoteUser: string | undefined },
  host: Readonly<Record<string, string>>,
  recorded: Readonly<Record<string, string>> | undefined,
): Promise<string[]> {
  const files = [...new Set([...Object.keys(host), ...Object.keys(recorded ?? {})])].sort();
  const volume = await volumeFileDigests(engine, containerId, into.layout, files);
  if (recorded === undefined) {
    await writeUploadMarker(engine, containerId, into.layout, volume);
    return [];
  }
  const baseline = recorded;
  const untouched = (file: string) => volume[file] === baseline[file];
  const stale = files.filter((file) => host[file] !== undefined && untouched(file) && volume[file] !== host[file]);
  await writeHostFilesIntoVolume(engine, containerId, into, stale);
  const record: Record<string, string> = {};
  for (const file of files) {
    const digest = untouched(file) ? host[file] : baseline[file];
    if (digest !== undefined) record[file] = digest;
  }
  await writeUploadMarker(engine, containerId, into.layout, record);
  return stale;
}
