// A streaming tar (POSIX ustar + pax for long names) writer for build
// contexts. Entries are produced one at a time and file contents streamed
// from disk, so a large context never sits in memory; Readable.from pulls
// the generator only as fast as the engine reads.

import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

const BLOCK = 512;

/** Owner of an entry in the archive (default root); the engine applies it on extraction. */
export interface TarOwner {
  uid?: number;
  gid?: number;
}

export type TarEntry = TarOwner &
  (
    | { type: 'file'; name: string; mode: number; mtime?: number; size: number; path: string }
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

function header(fields: { name: string; mode: number; size: number; mtime: number; typeflag: string; linkname?: string; uid?: number; gid?: number }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(octal(fields.mode & 0o7777, 8), 100, 8, 'ascii');
  block.write(octal(fields.uid ?? 0, 8), 108, 8, 'ascii');
  block.write(octal(fields.gid ?? 0, 8), 116, 8, 'ascii');
  block.write(octal(fields.size, 12), 124, 12, 'ascii');
  block.write(octal(Math.floor(fields.mtime), 12), 136, 12, 'ascii');
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

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
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
  const out: Buffer[] = [];
  if (pax.length > 0) {
    const data = Buffer.concat(pax);
    out.push(header({ name: 'PaxHeader', mode: 0o644, size: data.length, mtime, typeflag: 'x' }), data, padding(data.length));
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
      ...(linkname === undefined ? {} : { linkname: linkname.slice(0, 100) }),
      ...(entry.uid === undefined ? {} : { uid: entry.uid }),
      ...(entry.gid === undefined ? {} : { gid: entry.gid }),
    }),
  );
  return out;
}

async function* tarChunks(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    if (entry.type !== 'file') {
      yield* headers(entry, 0);
      continue;
    }
    if ('content' in entry) {
      yield* headers(entry, entry.content.length);
      yield entry.content;
      yield padding(entry.content.length);
      continue;
    }
    yield* headers(entry, entry.size);
    let written = 0;
    // A file that grows while being read is cut at the size in its header;
    // one that shrinks is an error (the archive would be corrupt).
    for await (const chunk of createReadStream(entry.path, { end: entry.size === 0 ? 0 : entry.size - 1, start: 0 }) as AsyncIterable<Buffer>) {
      if (entry.size === 0) break;
      written += chunk.length;
      yield chunk;
    }
    if (written !== entry.size) throw new Error(`${entry.path} changed size while being archived (${written} of ${entry.size} bytes)`);
    yield padding(entry.size);
  }
  yield Buffer.alloc(BLOCK * 2);
}

/** A tar stream of `entries`, produced as it is read. */
export function tarStream(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>): Readable {
  return Readable.from(tarChunks(entries), { objectMode: false });
}
