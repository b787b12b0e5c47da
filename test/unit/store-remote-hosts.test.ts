import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { isPksError } from '../../src/common/errors.js';
import { takeOverStaleLock, withFileLock } from '../../src/store/files.js';
import { RemoteHostStore, pksHome, type RemoteHost } from '../../src/store/remote-host-store.js';

const run = promisify(execFile);
let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'pks-store-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
function freshStore(): RemoteHostStore {
  n += 1;
  return new RemoteHostStore(path.join(root, `home-${n}`, '.pks'));
}

function entry(id: string, extra: Partial<RemoteHost> = {}): RemoteHost {
  return { id, host: `${id}.example.test`, dockerSocket: '/var/run/docker.sock', addedAt: '2026-11-28T08:00:00.000Z', ...extra };
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isPksError(error), `expected a PksError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('RemoteHostStore', () => {
  it('is empty when the file does not exist, and creates nothing by reading', async () => {
    const store = freshStore();
    assert.deepEqual(await store.list(), []);
    await assert.rejects(stat(store.dir));
  });

  it('PKS_HOME replaces ~/.pks', () => {
    assert.equal(pksHome({ PKS_HOME: '/tmp/x' }), '/tmp/x');
    assert.equal(pksHome({ HOME: '/home/u' }), '/home/u/.pks');
  });

  it('adds, lists sorted, and writes mode 0600 in a 0700 directory', async () => {
    const store = freshStore();
    await store.add(entry('zeta', { user: 'dev', port: 2222 }));
    await store.add(entry('alpha'));
    assert.deepEqual((await store.list()).map((h) => h.id), ['alpha', 'zeta']);
    assert.equal((await store.get('zeta'))?.port, 2222);
    assert.equal((await stat(store.file)).mode & 0o777, 0o600);
    assert.equal((await stat(store.dir)).mode & 0o777, 0o700);
    const onDisk = JSON.parse(await readFile(store.file, 'utf8')) as { version: number; hosts: unknown[] };
    assert.equal(onDisk.version, 1);
    assert.equal(onDisk.hosts.length, 2);
  });

  it('refuses an existing id unless replace is set', async () => {
    const store = freshStore();
    await store.add(entry('h1'));
    await rejectsWith(store.add(entry('h1', { host: 'other' })), 'E_REMOTE_EXISTS', /already exists/);
    await store.add(entry('h1', { host: 'other' }), { replace: true });
    assert.equal((await store.require('h1')).host, 'other');
  });

  it('unknown ids list the registered ones', async () => {
    const store = freshStore();
    await rejectsWith(store.require('nope'), 'E_UNKNOWN_REMOTE');
    await store.add(entry('h1'));
    await assert.rejects(store.remove('nope'), (error: unknown) => isPksError(error) && /h1/.test(error.hint ?? ''));
  });

  it('updates and removes entries', async () => {
    const store = freshStore();
    await store.add(entry('h1'));
    const updated = await store.update('h1', { lastTestedAt: '2026-11-28T09:00:00.000Z' });
    assert.equal(updated.lastTestedAt, '2026-11-28T09:00:00.000Z');
    assert.equal((await store.remove('h1')).id, 'h1');
    assert.deepEqual(await store.list(), []);
  });

  for (const [name, content, pattern] of [
    ['not JSON', '{"version": 1, "hosts": [', /not valid JSON/],
    ['wrong shape', '{"version": 1, "hosts": [{"id": "h1"}]}', /hosts\.0\.host/],
    ['bad id', '{"version": 1, "hosts": [{"id": "BAD", "host": "x", "addedAt": "2026-11-28T08:00:00.000Z"}]}', /hosts\.0\.id/],
    ['duplicate ids', JSON.stringify({ version: 1, hosts: [entry('a'), entry('a')] }), /duplicate id "a"/],
    ['newer version', '{"version": 7, "hosts": []}', /newer pks/],
    ['no version', '{"hosts": []}', /version/],
  ] as const) {
    it(`a ${name} file is reported with its name, and never overwritten`, async () => {
      const store = freshStore();
      await mkdir(store.dir, { recursive: true });
      await writeFile(store.file, content);
      await rejectsWith(store.list(), 'E_HOSTS_FILE_INVALID', pattern);
      await assert.rejects(store.list(), (error: unknown) => isPksError(error) && error.message.includes(store.file));
      await rejectsWith(store.add(entry('new')), 'E_HOSTS_FILE_INVALID');
      assert.equal(await readFile(store.file, 'utf8'), content);
    });
  }

  it('an unreadable file is reported, not treated as empty', async () => {
    const store = freshStore();
    await mkdir(store.file, { recursive: true }); // a directory where the file should be
    await rejectsWith(store.list(), 'E_HOSTS_FILE_UNREADABLE', /Cannot read/);
  });

  it('loses no entry when many writers add at once (one process)', async () => {
    const store = freshStore();
    const ids = Array.from({ length: 25 }, (_, i) => `h${i}`);
    await Promise.all(ids.map((id) => new RemoteHostStore(store.dir).add(entry(id))));
    assert.deepEqual((await store.list()).map((h) => h.id).sort(), [...ids].sort());
  });

  it('loses no entry when separate processes add at once', async () => {
    const store = freshStore();
    // The store bundled once into plain JavaScript, so that each writer is a
    // bare node process (a TypeScript loader per process costs more than the test).
    const bundle = path.join(root, 'remote-host-store.mjs');
    await build({
      entryPoints: [new URL('../../src/store/remote-host-store.ts', import.meta.url).pathname],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundle,
      logLevel: 'silent',
    });
    const script = (id: string) =>
      `const { RemoteHostStore } = await import(${JSON.stringify(pathToFileURL(bundle).href)});` +
      `await new RemoteHostStore(${JSON.stringify(store.dir)}).add({ id: ${JSON.stringify(id)}, host: 'x', dockerSocket: '/s', addedAt: '2026-11-28T08:00:00.000Z' });`;
    const ids = Array.from({ length: 8 }, (_, i) => `p${i}`);
    await Promise.all(ids.map((id) => run(process.execPath, ['--input-type=module', '-e', script(id)])));
    assert.deepEqual((await store.list()).map((h) => h.id).sort(), ids);
  });

  it('takes over only the stale lock it read, never one taken anew meanwhile, and releases only its own', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pks-lock-'));
    const lock = path.join(dir, 'file.lock');
    const live = `${process.pid} live-token\n`;
    // The owner read as dead released the lock, and a live process took it anew.
    await writeFile(lock, live);
    await takeOverStaleLock(lock, '999999 dead-token\n');
    assert.equal(await readFile(lock, 'utf8'), live, 'the live lock is put back');
    // The lock still holds what was read as stale: it goes.
    await writeFile(lock, '999999 dead-token\n');
    await takeOverStaleLock(lock, '999999 dead-token\n');
    await assert.rejects(stat(lock));
    // A lock that is no longer ours when the work ends is left to its owner.
    await withFileLock(lock, async () => writeFile(lock, live));
    assert.equal(await readFile(lock, 'utf8'), live);
    assert.deepEqual((await readdir(dir)).sort(), ['file.lock'], 'nothing moved aside is left behind');
    await rm(dir, { recursive: true, force: true });
  });

  it('takes over a lock left by a dead process', async () => {
    const store = freshStore();
    await mkdir(store.dir, { recursive: true });
    const dead = await run(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    await writeFile(`${store.file}.lock`, `${dead.stdout}\n`);
    await store.add(entry('h1'));
    assert.equal((await store.list()).length, 1);
    await assert.rejects(stat(`${store.file}.lock`));
  });
});
