// Streams the project into the workspace volume through the created (not yet
// started) container: PUT /containers/{id}/archive writes through to the
// volume, so no helper image is needed. Files go from disk to the socket as a
// tar stream, never whole in memory; modes and symlinks are kept; everything
// is owned by the remote user's uid:gid.

import { closeSync, readSync, type BigIntStats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { withoutUndefined } from '../../common/defined.js';
import { OperationError, errorMessage, systemErrorCode } from '../../common/errors.js';
import { identityOf, kindOf, openPlannedFile, replacedError, sameIdentity, type FileIdentity } from '../../common/tar/open-planned.js';
import { tarLength, tarStream, type TarEntry } from '../../common/tar/tar-writer.js';
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
  signal?: AbortSignal | undefined;
}

export interface UploadPlan {
  /** Files, symlinks and folders, each folder before what it holds. */
  files: PlannedFile[];
  totalBytes: number;
  /**
   * Paths listed by git that could not be found (names that are not UTF-8
   * among them), or only through a symlinked folder: git says both are deleted.
   */
  missing: string[];
}

export interface PlannedFile {
  relative: string;
  kind: 'file' | 'symlink' | 'directory';
  size: number;
  mode: number;
  mtime: number;
  /** What lstat found: the upload sends this file (or symlink) and nothing else. */
  identity: FileIdentity;
}

function unreadableFolder(folder: string, error: unknown): OperationError {
  return new OperationError('E_UNREADABLE', `Cannot read the folder ${folder}: ${errorMessage(error)}.`, {
    hint: 'Make it readable for this user, or move it out of the project (files git ignores are not uploaded unless --include-ignored, or the folder is not a git repository).',
  });
}

/**
 * Every folder, file and symlink below `root`/`relative` (the fallback when
 * git does not choose, and a repository's .git): folders too, so that empty
 * ones (.git/refs after a gc) and their modes arrive.
 */
async function walk(root: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  const folder = path.join(root, relative);
  const entries = await readdir(folder, { withFileTypes: true }).catch((error: unknown) => {
    throw systemErrorCode(error) === 'EACCES' || systemErrorCode(error) === 'EPERM' ? unreadableFolder(folder, error) : error;
  });
  // Code-point order: localeCompare's first call loads ICU collation data (~7 ms).
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) out.push(child, ...(await walk(root, child)));
    else if (entry.isFile() || entry.isSymbolicLink()) out.push(child);
  }
  return out;
}

function plannedEntry(relative: string, info: BigIntStats): PlannedFile {
  return {
    relative,
    kind: info.isDirectory() ? 'directory' : info.isSymbolicLink() ? 'symlink' : 'file',
    size: info.isFile() ? Number(info.size) : 0,
    mode: Number(info.mode & 0o7777n),
    mtime: Number(info.mtimeMs / 1000n),
    identity: identityOf(info),
  };
}

const lstatOf = (file: string): Promise<BigIntStats | undefined> => lstat(file, { bigint: true }).catch(() => undefined);

async function plan(projectPath: string, files: readonly string[] | undefined): Promise<{ planned: PlannedFile[]; missing: string[] }> {
  const listed = files ?? (await walk(projectPath));
  const planned: PlannedFile[] = [];
  const missing: string[] = [];
  // Each folder on the way to a listed path, lstat'ed once: a real folder,
  // or null (missing, a symlink, not a folder). What lies beyond a symlink
  // is never reached through it: git lists a tracked path whose folder was
  // replaced by a symlink, but it says that path is deleted, and its content
  // would be whatever the link points to (anywhere on this machine).
  const folderInfo = new Map<string, Promise<BigIntStats | null>>();
  const realFolder = (relative: string): Promise<BigIntStats | null> => {
    let known = folderInfo.get(relative);
    if (known === undefined) {
      known = (async () => {
        const parent = path.posix.dirname(relative);
        if (parent !== '.' && (await realFolder(parent)) === null) return null;
        const info = await lstatOf(path.join(projectPath, relative));
        return info?.isDirectory() === true ? info : null;
      })();
      folderInfo.set(relative, known);
    }
    return known;
  };
  const folders = new Set<string>();
  // The folders above a listed path (all real folders), with their own modes, before it.
  const addParents = async (relative: string): Promise<void> => {
    const parent = path.posix.dirname(relative);
    if (parent === '.' || folders.has(parent)) return;
    await addParents(parent);
    const info = await realFolder(parent);
    folders.add(parent);
    if (info !== null) planned.push(plannedEntry(parent, info));
  };
  // A path of the list (git's, or the walk's), or one found inside a folder
  // git lists as one path (.git, a submodule): such a folder brings what it
  // holds, walked (the walk's own folders are followed by what they hold).
  const add = async (relative: string, listedPath: boolean): Promise<void> => {
    const parent = path.posix.dirname(relative);
    const reachable = parent === '.' || (await realFolder(parent)) !== null;
    const info = reachable ? await lstatOf(path.join(projectPath, relative)) : undefined;
    if (info === undefined) {
      // Deleted in the work tree, behind a symlinked folder, or a name that is not UTF-8.
      if (listedPath) missing.push(relative);
      return;
    }
    if (!info.isFile() && !info.isSymbolicLink() && !info.isDirectory()) return;
    await addParents(relative);
    if (!info.isDirectory()) {
      planned.push(plannedEntry(relative, info));
      return;
    }
    if (!folders.has(relative)) {
      folders.add(relative);
      folderInfo.set(relative, Promise.resolve(info));
      planned.push(plannedEntry(relative, info));
    }
    if (listedPath && files !== undefined) for (const child of await walk(projectPath, relative)) await add(child, false);
  };
  for (const relative of listed) await add(relative, true);
  return { planned, missing };
}

/** What will be uploaded: `files` relative to the project (undefined = everything below it), with sizes. */
export async function planUpload(projectPath: string, files: readonly string[] | undefined): Promise<UploadPlan> {
  const { planned, missing } = await plan(projectPath, files);
  return { files: planned, totalBytes: planned.reduce((sum, file) => sum + file.size, 0), missing };
}

/** A planned symlink's target, read only while the path is still that symlink. */
async function plannedLinkTarget(absolute: string, identity: FileIdentity): Promise<string> {
  const info = await lstat(absolute, { bigint: true });
  if (!info.isSymbolicLink()) throw replacedError(absolute, kindOf(info));
  if (!sameIdentity(info, identity)) throw replacedError(absolute, 'another symlink');
  return readlink(absolute);
}

/** The archive's entries, all known before it is sent so that its length is too. */
async function entries(options: UploadOptions, planned: readonly PlannedFile[], prefix: string): Promise<{ archive: TarEntry[]; skippedLinks: string[] }> {
  const skippedLinks: string[] = [];
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
    if (file.kind === 'directory') {
      if (!dirs.has(name)) out.push({ type: 'directory', name, mode: file.mode, mtime: file.mtime, ...owner });
      dirs.add(name);
    } else if (file.kind === 'symlink') {
      const linkname = await plannedLinkTarget(absolute, file.identity);
      // Relative and leading above the extraction folder: the engine refuses
      // the whole archive ("invalid symlink"); such a link dangles there anyway.
      const target = path.posix.join(path.posix.dirname(name), linkname);
      if (!linkname.startsWith('/') && (target === '..' || target.startsWith('../'))) {
        skippedLinks.push(`${file.relative} -> ${linkname}`);
        continue;
      }
      out.push({ type: 'symlink', name, linkname, mtime: file.mtime, ...owner });
    } else {
      out.push({ type: 'file', name, mode: file.mode, size: file.size, path: absolute, identity: file.identity, mtime: file.mtime, ...owner });
    }
  }
  out.push(...(options.trailer ?? []));
  return { archive: out, skippedLinks };
}

export interface UploadResult {
  files: number;
  /** Symlinks left out: they point above the folder the archive is extracted in, which the engine refuses. */
  skippedLinks: string[];
  bytes: number;
  /** Bytes sent to the engine (after compression). */
  sentBytes: number;
}

/** The start of a planned file as text (at most `limit` bytes), or '' when it is no longer the planned file. */
export async function readPlannedText(projectPath: string, file: PlannedFile, limit = 4096): Promise<string> {
  const fd = await openPlannedFile(path.join(projectPath, file.relative), file.identity).catch(() => undefined);
  if (fd === undefined) return '';
  try {
    const buffer = Buffer.alloc(Math.min(limit, file.size));
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}

/** Files and symlinks of a plan (its folders not counted). */
export function fileCount(plan: UploadPlan): number {
  return plan.files.filter((file) => file.kind !== 'directory').length;
}

/** A file of the project could not be read while it was being sent (changed, vanished, unreadable). */
function readFailure(error: Error): OperationError {
  return new OperationError('E_UPLOAD_READ', `Reading the project failed during the upload: ${errorMessage(error).replace(/\.$/, '')}.`, {
    hint: 'Run spawn again once nothing is writing to the project folder (a build, git gc); a file pks may not read must be made readable or left out (.gitignore).',
    cause: error,
  });
}

export async function uploadWorkspace(engine: EngineClient, containerId: string, options: UploadOptions): Promise<UploadResult> {
  const planned = options.planned.files;
  const files = fileCount(options.planned);
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
        options.onProgress?.({ bytes: Math.min(bytes, totalBytes), totalBytes, files });
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
  const { archive, skippedLinks } = await entries(options, planned, prefix).catch((error: unknown) => {
    throw readFailure(error instanceof Error ? error : new Error(String(error)));
  });
  const tar = tarStream(archive);
  let body: Readable = tar.pipe(counter);
  if (options.gzip) body = body.pipe(createGzip({ level: 1 }));
  body = body.pipe(sent);
  // The engine only sees the body end early ("socket hang up"): the cause
  // is this machine's file, and it is what the user must hear about.
  let readError: Error | undefined;
  tar.on('error', (error) => {
    readError = error;
    body.destroy(error);
  });
  try {
    await engine.putArchive(containerId, {
      path: parent,
      noOverwriteDirNonDir: true,
      body,
      ...(options.gzip ? { gzip: true } : { bodyLength: tarLength(archive) }),
      ...withoutUndefined({ signal: options.signal }),
    });
  } catch (error) {
    if (readError !== undefined && options.signal?.aborted !== true) throw readFailure(readError);
    throw error;
  }
  options.onProgress?.({ bytes: totalBytes, totalBytes, files });
  return { files, bytes: totalBytes, sentBytes, skippedLinks };
}
