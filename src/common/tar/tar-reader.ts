// Extraction of tar archives (Feature layers: plain or gzip-compressed) into
// a folder, streaming. Only regular files, folders and symlinks are created,
// and nothing may land outside the target folder: archives come from
// registries, which pks does not trust with the local file system.

import { createWriteStream } from 'node:fs';
import { lstat, mkdir, realpath, symlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { OperationError } from '../errors.js';

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
}

function octal(header: Buffer, offset: number, length: number): number {
  const raw = header.subarray(offset, offset + length);
  // GNU base-256 for values too large for octal.
  if (((raw[0] ?? 0) & 0x80) !== 0) {
    let value = 0;
    for (let i = 1; i < raw.length; i++) value = value * 256 + (raw[i] ?? 0);
    return value;
  }
  const text = field(header, offset, length).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

/** pax records: `<len> key=value\n`. */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const length = Number.parseInt(data.subarray(pos, space).toString('ascii'), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.subarray(space + 1, pos + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += length;
  }
  return out;
}

export interface TarEntryHeader {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  mode: number;
  size: number;
  linkname: string;
}

function safeTarget(root: string, name: string): string {
  const clean = path.posix.normalize(`/${name}`).slice(1);
  const target = path.resolve(root, clean);
  if (clean === '' || clean === '.') return root;
  if (target !== root && !target.startsWith(`${root}${path.sep}`)) {
    throw new OperationError('E_ARCHIVE_UNSAFE', `The archive entry "${name}" would be written outside the target folder.`);
  }
  return target;
}

/** The stream's bytes, gunzipped when they start with the gzip magic. */
async function* decompressed(source: Readable): AsyncGenerator<Buffer> {
  const iterator = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true) return;
  const head = first.value;
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield next.value;
    }
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    yield* all();
    return;
  }
  const gunzip = createGunzip();
  const input = Readable.from(all());
  input.once('error', (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  yield* gunzip as AsyncIterable<Buffer>;
}

export interface ExtractOptions {
  /** Symlinks are reported (with their target) but not created, wherever they point. */
  skipSymlinks?: boolean;
  /** Refuse an archive whose files add up to more than this many bytes (E_ARCHIVE_TOO_LARGE). */
  maxBytes?: number;
  /** Refuse an archive with more entries than this (E_ARCHIVE_TOO_LARGE). */
  maxEntries?: number;
}

/**
 * Whether `folder` (made or not yet) is really inside the root: its nearest
 * existing ancestor, symlinks followed, is. Checked before anything is made
 * there, so nothing is written through a symlink the archive made.
 */
async function insideRoot(realRoot: string, folder: string): Promise<boolean> {
  let existing = folder;
  for (;;) {
    try {
      const real = await realpath(existing);
      return real === realRoot || real.startsWith(`${realRoot}${path.sep}`);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return false;
      existing = parent;
    }
  }
}

/**
 * Extracts a tar stream (gzip detected by its magic bytes) into `root`.
 * Returns the entries seen. Nothing is written through a symlink the archive
 * made (each entry's folder must really be inside `root`), and a symlink must
 * point inside it, by its text and, once made, by where it leads.
 */
export async function extractTar(source: Readable, root: string, options: ExtractOptions = {}): Promise<TarEntryHeader[]> {
  const entries: TarEntryHeader[] = [];
  const absoluteRoot = path.resolve(root);
  await mkdir(absoluteRoot, { recursive: true });
  const realRoot = await realpath(absoluteRoot);
  let totalBytes = 0;
  const tooLarge = (what: string): OperationError =>
    new OperationError('E_ARCHIVE_TOO_LARGE', `The archive is too large to extract: ${what}.`, { hint: 'Check what the archive holds; a Feature is normally a few small files.' });
  let buffer: Buffer = Buffer.alloc(0);
  let current: { header: TarEntryHeader; remaining: number; padding: number; sink?: NodeJS.WritableStream; pax?: Buffer[] } | undefined;
  let pendingPax: Record<string, string> = {};
  let pendingLongName: string | undefined;
  let ended = false;
  const writes: Promise<void>[] = [];

  const consume = async (chunk: Buffer): Promise<void> => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      if (ended) return;
      if (current !== undefined) {
        if (current.remaining > 0) {
          if (buffer.length === 0) return;
          const take = Math.min(current.remaining, buffer.length);
          const piece = buffer.subarray(0, take);
          if (current.pax !== undefined) current.pax.push(Buffer.from(piece));
          else if (current.sink !== undefined && !current.sink.write(piece)) {
            const sink = current.sink;
            await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
          }
          current.remaining -= take;
          buffer = buffer.subarray(take);
          continue;
        }
        if (buffer.length < current.padding) return;
        buffer = buffer.subarray(current.padding);
        const done = current;
        current = undefined;
        if (done.sink !== undefined) {
          const sink = done.sink;
          writes.push(new Promise<void>((resolve, reject) => {
            sink.once('finish', () => resolve());
            sink.once('error', reject);
            sink.end();
          }));
        }
        if (done.pax !== undefined) {
          const data = Buffer.concat(done.pax);
          if (done.header.type === 'other' && done.header.name === '././@LongLink') pendingLongName = field(data, 0, data.length);
          else pendingPax = { ...pendingPax, ...parsePax(data) };
        }
        continue;
      }
      if (buffer.length < BLOCK) return;
      const block = buffer.subarray(0, BLOCK);
      buffer = buffer.subarray(BLOCK);
      if (block.every((byte) => byte === 0)) {
        ended = true;
        return;
      }
      const typeflag = String.fromCharCode(block[156] ?? 0x30);
      const prefix = field(block, 345, 155);
      const baseName = field(block, 0, 100);
      let name = prefix === '' ? baseName : `${prefix}/${baseName}`;
      let linkname = field(block, 157, 100);
      const size = pendingPax['size'] !== undefined ? Number(pendingPax['size']) : octal(block, 124, 12);
      const padding = (BLOCK - (size % BLOCK)) % BLOCK;
      if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L') {
        current = { header: { name: typeflag === 'L' ? '././@LongLink' : name, type: 'other', mode: 0, size, linkname: '' }, remaining: size, padding, pax: [] };
        if (typeflag === 'g') current.header.name = '(global)';
        continue;
      }
      if (pendingPax['path'] !== undefined) name = pendingPax['path'];
      if (pendingLongName !== undefined) name = pendingLongName;
      if (pendingPax['linkpath'] !== undefined) linkname = pendingPax['linkpath'];
      pendingPax = {};
      pendingLongName = undefined;
      const type: TarEntryHeader['type'] =
        typeflag === '0' || typeflag === '\0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'directory' : typeflag === '2' ? 'symlink' : 'other';
      const header: TarEntryHeader = { name, type, mode: octal(block, 100, 8) & 0o7777, size, linkname };
      entries.push(header);
      if (options.maxEntries !== undefined && entries.length > options.maxEntries) throw tooLarge(`more than ${options.maxEntries} entries`);
      if (type === 'file') totalBytes += size;
      if (options.maxBytes !== undefined && totalBytes > options.maxBytes) throw tooLarge(`its files add up to more than ${options.maxBytes} bytes`);
      const target = safeTarget(absoluteRoot, name);
      const unsafe = (): OperationError => new OperationError('E_ARCHIVE_UNSAFE', `The archive entry "${name}" would be written through a symlink, outside the target folder.`);
      if (target !== absoluteRoot && (type === 'directory' || type === 'file' || (type === 'symlink' && options.skipSymlinks !== true))) {
        if (!(await insideRoot(realRoot, path.dirname(target)))) throw unsafe();
        // A file never replaces, nor is written through, a symlink the archive made.
        if (type === 'file' && (await lstat(target).then((info) => info.isSymbolicLink(), () => false))) throw unsafe();
      }
      current = { header, remaining: type === 'file' || type === 'other' ? size : 0, padding: type === 'file' || type === 'other' ? padding : 0 };
      if (type === 'directory') {
        await mkdir(target, { recursive: true, mode: 0o755 });
      } else if (type === 'file') {
        await mkdir(path.dirname(target), { recursive: true });
        current.sink = createWriteStream(target, { mode: (header.mode & 0o777) | 0o600 });
      } else if (type === 'symlink' && options.skipSymlinks !== true) {
        const resolved = path.resolve(path.dirname(target), linkname);
        if (resolved !== absoluteRoot && !resolved.startsWith(`${absoluteRoot}${path.sep}`)) {
          throw new OperationError('E_ARCHIVE_UNSAFE', `The archive's symlink "${name}" points outside the target folder.`);
        }
        await symlink(linkname, target);
        // By its text it stays inside; through other symlinks it may not.
        const leadsTo = await realpath(target).catch(() => undefined);
        if (leadsTo !== undefined && leadsTo !== realRoot && !leadsTo.startsWith(`${realRoot}${path.sep}`)) {
          throw new OperationError('E_ARCHIVE_UNSAFE', `The archive's symlink "${name}" leads outside the target folder.`);
        }
      }
    }
  };

  for await (const chunk of decompressed(source)) await consume(chunk);
  if (current !== undefined && current.remaining > 0) {
    throw new OperationError('E_ARCHIVE_TRUNCATED', 'The archive ended in the middle of a file.');
  }
  await Promise.all(writes);
  return entries;
}
