// The file primitives behind "no write without a read": what readUserFile
// says about each kind of file, where a write through a symlink lands, and
// which folders are safe for private files.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { unsafeFolderProblem, writeFileAtomic } from '../../src/store/files.js';
import { readUserFile, symlinkTarget } from '../../src/store/user-files.js';

const run = promisify(execFile);
let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'pks-userfile-'));
});
after(() => rm(root, { recursive: true, force: true }));

describe('readUserFile', () => {
  it('tells a missing file, a folder, a FIFO, a device and a file too big apart, without blocking', async () => {
    const fifo = path.join(root, 'fifo');
    await run('mkfifo', [fifo]);
    const big = path.join(root, 'big');
    await writeFile(big, Buffer.alloc(101));
    assert.equal((await readUserFile(path.join(root, 'none'), 100)).kind, 'missing');
    assert.equal((await readUserFile(root, 100)).kind, 'directory');
    assert.equal((await readUserFile(fifo, 100)).kind, 'special');
    assert.equal((await readUserFile('/dev/zero', 100)).kind, 'special');
    assert.deepEqual(await readUserFile(big, 100), { kind: 'too-large', size: 101 });
    assert.equal((await readUserFile(path.join(big, 'below-a-file'), 100)).kind, 'unreadable');
  });

  it('returns the bytes of a regular file, through a symlink, with its mode', async () => {
    const file = path.join(root, 'bytes');
    await writeFile(file, Buffer.from([0xff, 0x00, 0x0a]), { mode: 0o640 });
    await symlink(file, path.join(root, 'bytes-link'));
    const read = await readUserFile(path.join(root, 'bytes-link'), 3);
    assert.equal(read.kind, 'file');
    if (read.kind !== 'file') return;
    assert.deepEqual([...read.data], [0xff, 0x00, 0x0a]);
    assert.equal(read.mode & 0o777, 0o640);
  });
});

describe('writes through symlinks', () => {
  it('follows a chain of relative links to its end, even a dangling one', async () => {
    const dir = path.join(root, 'chain');
    await mkdir(path.join(dir, 'real'), { recursive: true });
    await symlink('real/target', path.join(dir, 'second'));
    await symlink('second', path.join(dir, 'first'));
    assert.equal(await symlinkTarget(path.join(dir, 'first')), path.join(dir, 'real', 'target'));
    await writeFileAtomic(path.join(dir, 'first'), 'through\n');
    assert.ok((await lstat(path.join(dir, 'first'))).isSymbolicLink());
    assert.ok((await lstat(path.join(dir, 'second'))).isSymbolicLink());
    assert.equal(await readFile(path.join(dir, 'real', 'target'), 'utf8'), 'through\n');
    assert.equal((await stat(path.join(dir, 'real', 'target'))).mode & 0o777, 0o600);
  });

  it('refuses a loop of links', async () => {
    await symlink('loop-b', path.join(root, 'loop-a'));
    await symlink('loop-a', path.join(root, 'loop-b'));
    await assert.rejects(symlinkTarget(path.join(root, 'loop-a')), { code: 'ELOOP' });
  });
});

describe('unsafeFolderProblem (OpenSSH-like)', () => {
  const folder = (mode: number, uid = 1000) => ({ mode, uid, isDirectory: () => true });
  const cases: Array<[string, ReturnType<typeof folder> | { mode: number; uid: number; isDirectory: () => boolean }, RegExp | undefined]> = [
    ['0700, mine', folder(0o40700), undefined],
    ['0755, mine', folder(0o40755), undefined],
    ['1777, mine (sticky)', folder(0o41777), undefined],
    ['0775, mine', folder(0o40775), /writable by group or others \(mode 0775\)/],
    ['0777, mine', folder(0o40777), /writable by group or others/],
    ['0700, another user', folder(0o40700, 0), /owned by another user \(uid 0\)/],
    ['a file', { mode: 0o100600, uid: 1000, isDirectory: () => false }, /not a folder/],
  ];
  for (const [name, info, expected] of cases) {
    it(name, () => {
      const problem = unsafeFolderProblem(info, 1000);
      if (expected === undefined) assert.equal(problem, undefined);
      else assert.match(problem ?? '', expected);
    });
  }
});
