// The build context as the docker CLI sends it: the context folder as a tar,
// without what .dockerignore excludes (but always with the Dockerfile and
// .dockerignore themselves), owned by root, modes and symlinks preserved,
// walked lazily so files are read only as the engine consumes the stream.

import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { systemErrorCode } from '../common/errors.js';
import { DockerIgnore } from './dockerignore.js';
import { tarStream, type TarEntry } from '../common/tar/tar-writer.js';

export interface BuildContext {
  stream: Readable;
  /** The Dockerfile's path inside the context, for the `dockerfile` build parameter. */
  dockerfile: string;
}

async function readIgnore(contextDir: string): Promise<DockerIgnore> {
  try {
    return DockerIgnore.parse(await readFile(path.join(contextDir, '.dockerignore'), 'utf8'));
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return DockerIgnore.empty();
    throw error;
  }
}

async function* walk(root: string, ignore: DockerIgnore, keep: ReadonlySet<string>, relative = ''): AsyncGenerator<TarEntry> {
  const names = (await readdir(path.join(root, relative))).sort();
  for (const name of names) {
    const rel = relative === '' ? name : `${relative}/${name}`;
    const full = path.join(root, rel);
    const info = await lstat(full);
    const mtime = Math.floor(info.mtimeMs / 1000);
    if (info.isDirectory()) {
      if (ignore.canSkipFolder(rel) && ![...keep].some((k) => k.startsWith(`${rel}/`))) continue;
      if (!ignore.excludes(rel)) yield { type: 'directory', name: rel, mode: info.mode, mtime };
      yield* walk(root, ignore, keep, rel);
      continue;
    }
    if (ignore.excludes(rel) && !keep.has(rel)) continue;
    if (info.isSymbolicLink()) yield { type: 'symlink', name: rel, linkname: await readlink(full), mtime };
    else if (info.isFile()) yield { type: 'file', name: rel, mode: info.mode, mtime, size: info.size, path: full };
    // Sockets, fifos and devices have no place in a build context.
  }
}

export interface BuildContextOptions {
  contextDir: string;
  /** Absolute path of the Dockerfile; it may live outside the context. */
  dockerfile: string;
  /** Generated files to add at the root of the context (after the folder's own). */
  extra?: readonly TarEntry[];
}

/** A streamed tar of the build context, honouring .dockerignore. */
export async function createBuildContext(options: BuildContextOptions): Promise<BuildContext> {
  const ignore = await readIgnore(options.contextDir);
  const relativeDockerfile = path.relative(options.contextDir, options.dockerfile);
  const inside = !relativeDockerfile.startsWith('..') && !path.isAbsolute(relativeDockerfile);
  let dockerfile = relativeDockerfile.split(path.sep).join('/');
  const extra: TarEntry[] = [...(options.extra ?? [])];
  if (!inside) {
    // Like the docker CLI: a Dockerfile outside the context travels inside it under a unique name.
    const content = await readFile(options.dockerfile);
    dockerfile = `.pks-dockerfile-${createHash('sha256').update(content).digest('hex').slice(0, 12)}`;
    extra.push({ type: 'file', name: dockerfile, mode: 0o644, content });
  }
  const keep = new Set(inside ? [dockerfile, '.dockerignore'] : ['.dockerignore']);
  async function* entries(): AsyncGenerator<TarEntry> {
    yield* walk(options.contextDir, ignore, keep);
    yield* extra;
  }
  return { stream: tarStream(entries()), dockerfile };
}
