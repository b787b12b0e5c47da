// Tar writing and reading, .dockerignore, and the build context.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createBuildContext } from '../../src/image/build-context.js';
import { DockerIgnore } from '../../src/image/dockerignore.js';
import { extractTar } from '../../src/common/tar/tar-reader.js';
import { isPksError } from '../../src/common/errors.js';
import { tarLength, tarStream, type TarEntry } from '../../src/common/tar/tar-writer.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'pks-dc-tar-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => path.join(tmp, `${name}-${n++}`);

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `size` bytes of content that shows misplaced bytes: byte i is (i * 31) % 251. */
function patterned(size: number): Buffer {
  const content = Buffer.alloc(size);
  for (let i = 0; i < size; i++) content[i] = (i * 31) % 251;
  return content;
}

/** What GNU tar sees in an archive: `mode name -> link`. */
function gnuList(archive: Buffer): string[] {
  const file = fresh('archive.tar');
  writeFileSync(file, archive);
  return execFileSync('tar', ['-tvf', file], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => {
      const parts = line.split(/\s+/);
      return `${parts[0]} ${parts.slice(5).join(' ')}`;
    });
}

describe('tar writer', () => {
  it('writes archives GNU tar reads, with long names, symlinks and modes', async () => {
    const source = fresh('src');
    mkdirSync(source);
    const big = path.join(source, 'big.bin');
    writeFileSync(big, Buffer.alloc(1000 * 1000, 7));
    const longName = `${'deep/'.repeat(30)}file-with-a-long-name.txt`;
    const entries: TarEntry[] = [
      { type: 'directory', name: 'dir', mode: 0o750 },
      { type: 'file', name: 'dir/run.sh', mode: 0o755, content: Buffer.from('#!/bin/sh\n') },
      { type: 'file', name: 'big.bin', mode: 0o644, size: 1000 * 1000, path: big },
      { type: 'file', name: longName, mode: 0o600, content: Buffer.from('long') },
      { type: 'symlink', name: 'link', linkname: 'dir/run.sh' },
      { type: 'file', name: 'empty', mode: 0o644, content: Buffer.alloc(0) },
    ];
    const archive = await collect(tarStream(entries));
    assert.equal(archive.length % 512, 0);
    assert.deepEqual(gnuList(archive), [
      'drwxr-x--- dir/',
      '-rwxr-xr-x dir/run.sh',
      '-rw-r--r-- big.bin',
      `-rw------- ${longName}`,
      'lrwxrwxrwx link -> dir/run.sh',
      '-rw-r--r-- empty',
    ]);
  });

  it('streams files from disk and fails if one shrinks while archived', async () => {
    const file = fresh('shrinks');
    writeFileSync(file, 'abc');
    await assert.rejects(collect(tarStream([{ type: 'file', name: 'f', mode: 0o644, size: 10, path: file }])), /changed size while being archived/);
  });

  it('carries small and multi-piece large files byte for byte, and cuts a grown file at its recorded size', async () => {
    const source = fresh('pieces');
    mkdirSync(source);
    const contents = new Map<string, Buffer>([
      ['zero', Buffer.alloc(0)],
      ['odd', Buffer.from('x'.repeat(513))],
      ['exact-mib', Buffer.alloc(1024 * 1024, 3)],
      // Three pieces of 1 MiB and a short one, with content that shows misplaced bytes.
      ['large', patterned(3 * 1024 * 1024 + 777)],
    ]);
    for (const [name, content] of contents) writeFileSync(path.join(source, name), content);
    writeFileSync(path.join(source, 'grown'), 'recorded-then-appended');
    const entries: TarEntry[] = [...contents].map(([name, content]) => ({ type: 'file', name, mode: 0o644, size: content.length, path: path.join(source, name) }));
    entries.push({ type: 'file', name: 'grown', mode: 0o644, size: 'recorded'.length, path: path.join(source, 'grown') });
    const archive = await collect(tarStream(entries));
    const out = fresh('pieces-out');
    mkdirSync(out);
    const file = fresh('pieces.tar');
    writeFileSync(file, archive);
    execFileSync('tar', ['-xf', file, '-C', out]);
    for (const [name, content] of contents) assert.ok(readFileSync(path.join(out, name)).equals(content), `${name} differs`);
    assert.equal(readFileSync(path.join(out, 'grown'), 'utf8'), 'recorded');
  });

  it('knows its length up front and streams it in full 1 MiB buffers', async () => {
    const source = fresh('length');
    mkdirSync(source);
    const sizes = [0, 1, 511, 512, 513, 100 * 1024, 1024 * 1024, 2 * 1024 * 1024 + 3];
    const entries: TarEntry[] = [{ type: 'directory', name: 'd', mode: 0o755 }];
    for (const size of sizes) {
      writeFileSync(path.join(source, `f${size}`), Buffer.alloc(size, size % 251));
      entries.push({ type: 'file', name: `d/f${size}`, mode: 0o644, size, path: path.join(source, `f${size}`) });
    }
    entries.push(
      { type: 'file', name: `${'long/'.repeat(40)}name`, mode: 0o644, content: Buffer.from('pax path') },
      { type: 'symlink', name: 'to-far', linkname: `${'../'.repeat(60)}target` },
      { type: 'file', name: 'marker', mode: 0o644, content: Buffer.alloc(0) },
    );
    const chunks: Buffer[] = [];
    for await (const chunk of tarStream(entries)) chunks.push(chunk as Buffer);
    const archive = Buffer.concat(chunks);
    assert.equal(archive.length, tarLength(entries));
    assert.ok(chunks.length > 3);
    for (const chunk of chunks.slice(0, -1)) assert.equal(chunk.length, 1024 * 1024);
    const out = fresh('length-out');
    mkdirSync(out);
    const file = fresh('length.tar');
    writeFileSync(file, archive);
    execFileSync('tar', ['-xf', file, '-C', out]);
    for (const size of sizes) assert.ok(readFileSync(path.join(out, 'd', `f${size}`)).equals(Buffer.alloc(size, size % 251)), `f${size} differs`);
    assert.equal(readFileSync(path.join(out, `${'long/'.repeat(40)}name`), 'utf8'), 'pax path');
    assert.equal(readlinkSync(path.join(out, 'to-far')), `${'../'.repeat(60)}target`);
  });

  it('writes ids above 2,097,151 as pax records and clamps times the header cannot hold', async () => {
    const entries: TarEntry[] = [
      { type: 'file', name: 'big-id', mode: 0o644, content: Buffer.from('x'), uid: 1587401234, gid: 1587401235 },
      { type: 'file', name: 'old', mode: 0o644, content: Buffer.from('y'), mtime: -86400 },
      { type: 'file', name: 'far', mode: 0o644, content: Buffer.from('z'), mtime: 2 ** 40 },
    ];
    const archive = await collect(tarStream(entries));
    assert.equal(archive.length, tarLength(entries));
    const file = fresh('ids.tar');
    writeFileSync(file, archive);
    const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } }).trim().split('\n');
    assert.match(listing[0] ?? '', /^-rw-r--r-- 1587401234\/1587401235 .* big-id$/);
    assert.match(listing[1] ?? '', / 1970-01-01 00:00:00 old$/);
    assert.match(listing[2] ?? '', / 2242-03-16 \d\d:\d\d:\d\d far$/);
  });

  it('fails when a large file shrinks below a later piece', async () => {
    const file = fresh('large-shrinks');
    writeFileSync(file, Buffer.alloc(1024 * 1024 + 10));
    await assert.rejects(
      collect(tarStream([{ type: 'file', name: 'f', mode: 0o644, size: 3 * 1024 * 1024, path: file }])),
      /changed size while being archived \(1048586 of 3145728 bytes\)/,
    );
  });
});

describe('tar reader', () => {
  it('extracts what it wrote, plain or gzipped, symlinks and modes included', async () => {
    const archive = await collect(
      tarStream([
        { type: 'file', name: './devcontainer-feature.json', mode: 0o644, content: Buffer.from('{}') },
        { type: 'file', name: './install.sh', mode: 0o755, content: Buffer.from('#!/bin/sh\n') },
        { type: 'file', name: `${'x'.repeat(150)}/y`, mode: 0o644, content: Buffer.from('long') },
        { type: 'symlink', name: 'alias.sh', linkname: 'install.sh' },
      ]),
    );
    for (const data of [archive, gzipSync(archive)]) {
      const target = fresh('extract');
      const entries = await extractTar(Readable.from([data.subarray(0, 700), data.subarray(700)]), target);
      assert.equal(entries.length, 4);
      assert.equal(readFileSync(path.join(target, 'devcontainer-feature.json'), 'utf8'), '{}');
      assert.equal(statSync(path.join(target, 'install.sh')).mode & 0o777, 0o755);
      assert.equal(readFileSync(path.join(target, 'x'.repeat(150), 'y'), 'utf8'), 'long');
      assert.equal(readlinkSync(path.join(target, 'alias.sh')), 'install.sh');
    }
  });

  it('reads archives made by GNU tar', async () => {
    const source = fresh('gnu');
    mkdirSync(path.join(source, 'sub'), { recursive: true });
    writeFileSync(path.join(source, 'sub', 'a.txt'), 'from gnu tar');
    const archive = execFileSync('tar', ['-C', source, '-czf', '-', '.']);
    const target = fresh('gnu-extract');
    await extractTar(Readable.from([archive]), target);
    assert.equal(readFileSync(path.join(target, 'sub', 'a.txt'), 'utf8'), 'from gnu tar');
  });

  it('refuses entries and symlinks that escape the target folder', async () => {
    const escape = await collect(tarStream([{ type: 'file', name: '../../evil', mode: 0o644, content: Buffer.from('x') }]));
    // ../ is normalised away: the file lands inside.
    const inside = fresh('inside');
    await extractTar(Readable.from([escape]), inside);
    assert.equal(readFileSync(path.join(inside, 'evil'), 'utf8'), 'x');
    const link = await collect(tarStream([{ type: 'symlink', name: 'l', linkname: '../../../etc/passwd' }]));
    await assert.rejects(extractTar(Readable.from([link]), fresh('link')), /points outside the target folder/);
  });

  it('never writes through a symlink the archive made, even one whose text stays inside', async () => {
    // here -> . and up -> here/.. read as inside, but up leads to the parent.
    const chain = await collect(
      tarStream([
        { type: 'symlink', name: 'here', linkname: '.' },
        { type: 'symlink', name: 'up', linkname: 'here/..' },
        { type: 'file', name: 'up/escaped', mode: 0o644, content: Buffer.from('x') },
      ]),
    );
    const target = fresh('chain');
    await assert.rejects(extractTar(Readable.from([chain]), target), (error: unknown) => isPksError(error) && error.code === 'E_ARCHIVE_UNSAFE');
    assert.equal(existsSync(path.join(path.dirname(target), 'escaped')), false);
    // A symlink, then a file of the same name: not written through.
    const overwrite = await collect(
      tarStream([
        { type: 'symlink', name: 'f', linkname: 'sub/../g' },
        { type: 'file', name: 'f', mode: 0o644, content: Buffer.from('x') },
      ]),
    );
    await assert.rejects(extractTar(Readable.from([overwrite]), fresh('overwrite')), /written through a symlink/);
  });

  it('refuses archives beyond the size and entry limits', async () => {
    const big = await collect(tarStream([{ type: 'file', name: 'a', mode: 0o644, content: Buffer.alloc(3000) }]));
    await assert.rejects(extractTar(Readable.from([gzipSync(big)]), fresh('big'), { maxBytes: 2048 }), (error: unknown) => isPksError(error) && error.code === 'E_ARCHIVE_TOO_LARGE');
    const many = await collect(tarStream(['a', 'b', 'c'].map((name) => ({ type: 'file' as const, name, mode: 0o644, content: Buffer.from('x') }))));
    await assert.rejects(extractTar(Readable.from([many]), fresh('many'), { maxEntries: 2 }), /more than 2 entries/);
  });

  it('refuses a truncated archive', async () => {
    const archive = await collect(tarStream([{ type: 'file', name: 'f', mode: 0o644, content: Buffer.alloc(2000) }]));
    await assert.rejects(extractTar(Readable.from([archive.subarray(0, 1024)]), fresh('cut')), /ended in the middle of a file/);
  });
});

describe('.dockerignore', () => {
  const ignore = DockerIgnore.parse('# comment\n\nnode_modules\n*.log\n!important.log\n/build/\ndocs/**/*.md\n!docs/keep/**\n**/.cache\nsecret?.txt\n[ab].bin\n');

  it('excludes by pattern, folder and re-inclusion, last match winning', () => {
    const cases: Array<[string, boolean]> = [
      ['node_modules', true],
      ['node_modules/x/index.js', true],
      ['src/node_modules', false],
      ['app.log', true],
      ['important.log', false],
      ['logs/app.log', false],
      ['build/out.o', true],
      ['docs/a.md', true],
      ['docs/x/y/z.md', true],
      ['docs/keep/k.md', false],
      ['docs/readme.txt', false],
      ['a/b/.cache/f', true],
      ['.cache', true],
      ['secret1.txt', true],
      ['secret12.txt', false],
      ['a.bin', true],
      ['c.bin', false],
    ];
    for (const [file, excluded] of cases) assert.equal(ignore.excludes(file), excluded, file);
  });

  it('skips a folder only when no ! pattern can reach into it', () => {
    assert.equal(ignore.canSkipFolder('node_modules'), true);
    assert.equal(ignore.canSkipFolder('docs'), false);
    assert.equal(ignore.canSkipFolder('src'), false);
  });
});

describe('build context', () => {
  it('sends the context minus .dockerignore, always with the Dockerfile and .dockerignore', async () => {
    const context = fresh('context');
    const files: Record<string, string> = {
      '.dockerignore': 'Dockerfile\n.dockerignore\n*.secret\ntmp\n!tmp/keep\n',
      Dockerfile: 'FROM x\n',
      'a.txt': 'a',
      'b.secret': 'no',
      'tmp/junk': 'no',
      'tmp/keep': 'yes',
      'bin/tool': '#!/bin/sh\n',
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(context, file)), { recursive: true });
      writeFileSync(path.join(context, file), text);
    }
    chmodSync(path.join(context, 'bin/tool'), 0o755);
    symlinkSync('a.txt', path.join(context, 'link'));
    const built = await createBuildContext({ contextDir: context, dockerfile: path.join(context, 'Dockerfile') });
    assert.equal(built.dockerfile, 'Dockerfile');
    const listing = gnuList(await collect(built.stream));
    assert.deepEqual(listing.map((line) => line.split(' ').slice(1).join(' ')), ['.dockerignore', 'Dockerfile', 'a.txt', 'bin/', 'bin/tool', 'link -> a.txt', 'tmp/keep']);
    assert.ok(listing.includes('-rwxr-xr-x bin/tool'));
  });

  it('carries a Dockerfile from outside the context under a unique name', async () => {
    const root = fresh('outside');
    mkdirSync(path.join(root, 'ctx'), { recursive: true });
    writeFileSync(path.join(root, 'ctx', 'f'), 'f');
    writeFileSync(path.join(root, 'Dockerfile'), 'FROM y\n');
    const built = await createBuildContext({ contextDir: path.join(root, 'ctx'), dockerfile: path.join(root, 'Dockerfile') });
    assert.match(built.dockerfile, /^\.pks-dockerfile-[0-9a-f]{12}$/);
    assert.deepEqual(gnuList(await collect(built.stream)).map((line) => line.split(' ')[1]), ['f', built.dockerfile]);
  });
});
