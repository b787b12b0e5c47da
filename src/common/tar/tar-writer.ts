// A streaming tar (POSIX ustar + pax for long names) writer for build
// contexts and workspace uploads. Entries are produced one at a time and file
// contents read from disk as the stream is pulled (1 MiB at a time), so a
// large project never sits in memory; Readable.from pulls the generator only
// as fast as the engine reads.

import { closeSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { openPlannedFile, type FileIdentity } from './open-planned.js';

const BLOCK = 512;
/** The largest uid/gid the ustar header's 7 octal digits hold. */
const MAX_ID = 0o7777777;

/** Owner of an entry in the archive (default root); the engine applies it on extraction. */
export interface TarOwner {
  uid?: number;
  gid?: number;
}

export type TarEntry = TarOwner &
  (
    /** `identity`: the file planned (by an lstat); another one found at `path` fails the stream. */
    | { type: 'file'; name: string; mode: number; mtime?: number; size: number; path: string; identity?: FileIdentity }
    | { type: 'file'; name: string; mode: number; mtime?: number; content: Buffer }
    | { type: 'directory'; name: string; mode: number; mtime?: number }
    | { type: 'symlink'; name: string; linkname: string; mtime?: number }
  );

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const base = Buffer.byteLength(body);
  // The length prefix counts its own digits.
  let length = base + 1;
  while (length !== base + String(length).length) length = base + String(length).length;
  return Buffer.from(`${length}${body}`, 'utf8');
}

function header(fields: { name: string; mode: number; size: number; mtime: number; typeflag: string; linkname?: string | undefined; uid?: number | undefined; gid?: number | undefined }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(octal(fields.mode & 0o7777, 8), 100, 8, 'ascii');
  block.write(octal(Math.min(fields.uid ?? 0, MAX_ID), 8), 108, 8, 'ascii');
  block.write(octal(Math.min(fields.gid ?? 0, MAX_ID), 8), 116, 8, 'ascii');
  block.write(octal(fields.size, 12), 124, 12, 'ascii');
  // Before 1970 or past what 11 octal digits hold (year 2242): the nearest
  // time the field can say, not a header the engine refuses.
  block.write(octal(Math.max(0, Math.min(Math.floor(fields.mtime), 0o77777777777)), 12), 136, 12, 'ascii');
  block.write('        ', 148, 8, 'ascii');
  block.write(fields.typeflag, 156, 1, 'ascii');
  if (fields.linkname !== undefined) block.write(fields.linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7), 148, 7, 'ascii');
  return block;
}

function paddingLength(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

/** Header blocks for one entry, with a pax header first when a name or size does not fit ustar. */
function headers(entry: TarEntry, size: number): Buffer[] {
  const mtime = entry.mtime ?? 0;
  const name = entry.type === 'directory' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
  const linkname = entry.type === 'symlink' ? entry.linkname : undefined;
  const pax: Buffer[] = [];
  if (Buffer.byteLength(name) > 100) pax.push(paxRecord('path', name));
  if (linkname !== undefined && Buffer.byteLength(linkname) > 100) pax.push(paxRecord('linkpath', linkname));
  if (size > 0o77777777777) pax.push(paxRecord('size', String(size)));
  // Ids above 2,097,151 (directory-service users) do not fit the 8-byte fields.
  if ((entry.uid ?? 0) > MAX_ID) pax.push(paxRecord('uid', String(entry.uid)));
  if ((entry.gid ?? 0) > MAX_ID) pax.push(paxRecord('gid', String(entry.gid)));
  const out: Buffer[] = [];
  if (pax.length > 0) {
    const data = Buffer.concat(pax);
    out.push(header({ name: 'PaxHeader', mode: 0o644, size: data.length, mtime, typeflag: 'x' }), data, Buffer.alloc(paddingLength(data.length)));
  }
  const mode = entry.type === 'symlink' ? 0o777 : entry.mode;
  const typeflag = entry.type === 'file' ? '0' : entry.type === 'directory' ? '5' : '2';
  out.push(
    header({
      name: name.slice(0, 100),
      mode,
      size: Math.min(size, 0o77777777777),
      mtime,
      typeflag,
      linkname: linkname?.slice(0, 100),
      uid: entry.uid,
      gid: entry.gid,
    }),
  );
  return out;
}

/**
 * The stream is made of buffers of this size, entries packed into them back
 * to back (only the last one is shorter). Full, large writes keep the number
 * of writes down all the way to the engine: over SSH every write becomes at
 * least one SSH packet (encrypted, padded, a syscall on each side), so a
 * buffer per 100 KiB file ended in a short packet each time.
 */
const BATCH = 1024 * 1024;

/** Reads `length` bytes at `position` into `target` at `offset`; fewer only at the end of the file. */
function readInto(fd: number, target: Buffer, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const read = readSync(fd, target, offset + done, length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return done;
}

function changedSize(path: string, read: number, size: number): Error {
  return new Error(`${path} changed size while being archived (${read} of ${size} bytes)`);
}

/**
 * Packs blocks into BATCH-sized buffers, handing each over once full. File
 * contents are read straight into place: no copy between the page cache and
 * the buffer that is written out.
 */
class Packer {
  private buffer = Buffer.allocUnsafe(BATCH);
  private used = 0;

  private *handOver(): Generator<Buffer> {
    if (this.used < BATCH) return;
    yield this.buffer;
    this.buffer = Buffer.allocUnsafe(BATCH);
    this.used = 0;
  }

  *copy(data: Buffer): Generator<Buffer> {
    for (let offset = 0; offset < data.length; ) {
      const count = Math.min(data.length - offset, BATCH - this.used);
      data.copy(this.buffer, this.used, offset, offset + count);
      this.used += count;
      offset += count;
      yield* this.handOver();
    }
  }

  *zeros(length: number): Generator<Buffer> {
    for (let left = length; left > 0; ) {
      const count = Math.min(left, BATCH - this.used);
      this.buffer.fill(0, this.used, this.used + count);
      this.used += count;
      left -= count;
      yield* this.handOver();
    }
  }

  /**
   * `size` bytes of the open file, read as the stream is pulled. The reads
   * are synchronous on purpose: each is a page-cache copy of at most BATCH
   * from a file already checked to be a regular one, while the thread pool's
   * read round trips cost a thread hand-over each, and on a machine whose
   * cores are also busy with the engine (and sshd) that made a 2,000-file
   * upload over SSH ~15% slower. (The open is not synchronous: see
   * openPlannedFile.) A file that grows meanwhile is cut at `size`; one that
   * shrinks is an error (the archive would be corrupt).
   */
  *file(fd: number, path: string, size: number): Generator<Buffer> {
    for (let position = 0; position < size; ) {
      const count = Math.min(size - position, BATCH - this.used);
      const read = readInto(fd, this.buffer, this.used, count, position);
      if (read !== count) throw changedSize(path, position + read, size);
      this.used += count;
      position += count;
      yield* this.handOver();
    }
  }

  *rest(): Generator<Buffer> {
    if (this.used > 0) yield this.buffer.subarray(0, this.used);
    this.used = 0;
  }
}

/** Content length of an entry as archived. */
function contentSize(entry: TarEntry): number {
  if (entry.type !== 'file') return 0;
  return 'content' in entry ? entry.content.length : entry.size;
}

function* entryBlocks(entry: TarEntry, packer: Packer, fd: number | undefined): Generator<Buffer> {
  const size = contentSize(entry);
  for (const block of headers(entry, size)) yield* packer.copy(block);
  if (entry.type === 'file') {
    if ('content' in entry) yield* packer.copy(entry.content);
    else if (fd !== undefined) yield* packer.file(fd, entry.path, size);
  }
  yield* packer.zeros(paddingLength(size));
}

async function* tarChunks(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>): AsyncGenerator<Buffer> {
  const packer = new Packer();
  for await (const entry of entries) {
    // Opened before its header is written: a file that is no longer the one
    // planned fails the stream without a byte of it sent.
    const fd = entry.type === 'file' && 'path' in entry ? await openPlannedFile(entry.path, entry.identity) : undefined;
    try {
      yield* entryBlocks(entry, packer, fd);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  yield* packer.zeros(BLOCK * 2);
  yield* packer.rest();
}

/**
 * The exact length of the archive tarStream(entries) produces (a file that
 * grows meanwhile is cut at its recorded size, one that shrinks fails the
 * stream): lets a caller send it with a Content-Length.
 */
export function tarLength(entries: Iterable<TarEntry>): number {
  let length = BLOCK * 2;
  for (const entry of entries) {
    const size = contentSize(entry);
    for (const block of headers(entry, size)) length += block.length;
    length += size + paddingLength(size);
  }
  return length;
}

/** A tar stream of `entries`, produced as it is read. */
export function tarStream(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>): Readable {
  return Readable.from(tarChunks(entries), { objectMode: false });
}
