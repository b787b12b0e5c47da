// Streams the project into the workspace volume through the created (not yet
// started) container: PUT /containers/{id}/archive writes through to the
// volume, so no helper image is needed. Files go from disk to the socket as a
// tar stream, never whole in memory; modes and symlinks are kept; everything
// is owned by the remote user's uid:gid.

import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { tarLength, tarStream, type TarEntry } from '../../devcontainer/tar/tar-writer.js';
import type { EngineClient } from '../../engine/index.js';

export interface UploadProgress {
  bytes: number;
  totalBytes: number;
  files: number;
}

export interface UploadOptions {
  projectPath: string;
  planned: UploadPlan;
  /** Entries appended after the workspace (e.g. the completion marker). */
  trailer?: readonly TarEntry[];
  /** Absolute folder inside the container, e.g. /workspaces/app. */
  destination: string;
  /** The folder the archive is extracted in: the destination or a folder above it. */
  base: string;
  uid: number;
  gid: number;
  gzip: boolean;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

export interface UploadPlan {
  files: PlannedFile[];
  totalBytes: number;
}

export interface PlannedFile {
  relative: string;
  kind: 'file' | 'symlink';
  size: number;
  mode: number;
  mtime: number;
}

/** Every file and symlink below `root` (the fallback when git does not choose). */
async function walk(root: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  // Code-point order: localeCompare's first call loads ICU collation data (~7 ms).
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await walk(root, child)));
    else if (entry.isFile() || entry.isSymbolicLink()) out.push(child);
  }
  return out;
}

async function plan(projectPath: string, files: readonly string[] | undefined): Promise<PlannedFile[]> {
  const listed = files ?? (await walk(projectPath));
  const planned: PlannedFile[] = [];
  for (const relative of listed) {
    const info = await lstat(path.join(projectPath, relative)).catch(() => undefined);
    if (info === undefined) continue; // listed by git but deleted in the work tree
    if (info.isDirectory()) {
      // A git submodule is listed as one path: carry its files too.
      for (const inner of await walk(projectPath, relative)) planned.push(...(await plan(projectPath, [inner])));
      continue;
    }
    if (!info.isFile() && !info.isSymbolicLink()) continue;
    planned.push({
      relative,
      kind: info.isSymbolicLink() ? 'symlink' : 'file',
      size: info.isFile() ? info.size : 0,
      mode: info.mode & 0o7777,
      mtime: Math.floor(info.mtimeMs / 1000),
    });
  }
  return planned;
}

/** What will be uploaded: `files` relative to the project (undefined = every file below it), with sizes. */
export async function planUpload(projectPath: string, files: readonly string[] | undefined): Promise<UploadPlan> {
  const planned = await plan(projectPath, files);
  return { files: planned, totalBytes: planned.reduce((sum, file) => sum + file.size, 0) };
}

/** The archive's entries, all known before it is sent so that its length is too. */
async function entries(options: UploadOptions, planned: readonly PlannedFile[], prefix: string): Promise<TarEntry[]> {
  const owner = { uid: options.uid, gid: options.gid };
  const now = Math.floor(Date.now() / 1000);
  const out: TarEntry[] = [];
  const dirs = new Set<string>();
  const directory = (dir: string): void => {
    const parts = dir.split('/');
    for (let i = 1; i <= parts.length; i += 1) {
      const name = parts.slice(0, i).join('/');
      if (name === '' || dirs.has(name)) continue;
      dirs.add(name);
      out.push({ type: 'directory', name, mode: 0o755, mtime: now, ...owner });
    }
  };
  directory(prefix);
  for (const file of planned) {
    const name = `${prefix}/${file.relative}`;
    directory(path.posix.dirname(name));
    const absolute = path.join(options.projectPath, file.relative);
    if (file.kind === 'symlink') {
      out.push({ type: 'symlink', name, linkname: await readlink(absolute), mtime: file.mtime, ...owner });
    } else {
      out.push({ type: 'file', name, mode: file.mode, size: file.size, path: absolute, mtime: file.mtime, ...owner });
    }
  }
  out.push(...(options.trailer ?? []));
  return out;
}

export interface UploadResult {
  files: number;
  bytes: number;
  /** Bytes sent to the engine (after compression). */
  sentBytes: number;
}

export async function uploadWorkspace(engine: EngineClient, containerId: string, options: UploadOptions): Promise<UploadResult> {
  const planned = options.planned.files;
  const totalBytes = options.planned.totalBytes;
  // The archive is extracted above the workspace folder, with the folder
  // itself as an entry, so that it gets the right owner too.
  const parent = options.base;
  const prefix = path.posix.relative(options.base, options.destination);
  let bytes = 0;
  let sentBytes = 0;
  let lastReport = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      const now = Date.now();
      if (now - lastReport > 100) {
        lastReport = now;
        options.onProgress?.({ bytes: Math.min(bytes, totalBytes), totalBytes, files: planned.length });
      }
      callback(null, chunk);
    },
  });
  const sent = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sentBytes += chunk.length;
      callback(null, chunk);
    },
  });
  const archive = await entries(options, planned, prefix);
  const tar = tarStream(archive);
  let body: Readable = tar.pipe(counter);
  if (options.gzip) body = body.pipe(createGzip({ level: 1 }));
  body = body.pipe(sent);
  tar.on('error', (error) => body.destroy(error));
  await engine.requestEmpty({
    method: 'PUT',
    path: `/containers/${encodeURIComponent(containerId)}/archive`,
    query: { path: parent, noOverwriteDirNonDir: true },
    bodyStream: body,
    ...(options.gzip ? {} : { bodyLength: tarLength(archive) }),
    contentType: options.gzip ? 'application/gzip' : 'application/x-tar',
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  options.onProgress?.({ bytes: totalBytes, totalBytes, files: planned.length });
  return { files: planned.length, bytes: totalBytes, sentBytes };
}
