// pks's state folder (PKS_HOME, ~/.pks) and the files the user points pks at:
// a folder pks did not create keeps its mode (an unsafe one is refused), a
// symlinked hosts file stays a symlink, and a key file that is not a regular
// file, or is far too big, is refused without being read.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { assertErrorCode, lastError } from '../helpers/error-codes.js';
import { createLocalUser, type LocalUser } from '../helpers/local-user.js';
import { STACK_TRACE, createSandbox, type Sandbox } from '../helpers/pks-cli.js';
import { loadTestEnv } from '../helpers/test-env.js';

const run = promisify(execFile);
const env = loadTestEnv();
let user: LocalUser;
const cleanups: Array<() => Promise<void>> = [];
before(async () => {
  user = await createLocalUser();
});
after(async () => {
  for (const cleanup of cleanups) await cleanup();
  await user.remove();
});

async function sandbox(): Promise<Sandbox> {
  const created = await createSandbox({ knownHosts: env.knownHosts });
  cleanups.push(() => created.cleanup());
  return created;
}

const addArgs = (id: string, key = env.r1.key): string[] => ['remote', 'add', id, '--host', env.r1.host, '--user', env.r1.user, '--key', key, '--no-test'];
const modeOf = async (file: string): Promise<number> => (await stat(file)).mode & 0o7777;
const hostIds = (text: string): string[] => (JSON.parse(text) as { hosts: Array<{ id: string }> }).hosts.map((h) => h.id);

describe('PKS_HOME and ~/.pks: the mode of a folder pks did not create is never changed', () => {
  it('a folder pks creates is 0700', async () => {
    const box = await sandbox();
    assert.equal((await box.run(addArgs('r1'))).code, 0);
    assert.equal(await modeOf(box.pksHome), 0o700);
  });

  it('an existing PKS_HOME of the user, 1777, keeps its sticky bit and mode', async () => {
    const box = await sandbox();
    await mkdir(box.pksHome);
    await chmod(box.pksHome, 0o1777);
    const result = await box.run(addArgs('r1'));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await modeOf(box.pksHome), 0o1777);
    assert.equal(await modeOf(path.join(box.pksHome, 'remote-hosts.json')), 0o600);
  });

  it('~/.pks as a symlink: the folder it leads to keeps its mode (0750)', async () => {
    const box = await sandbox();
    const elsewhere = path.join(box.home, 'state');
    await mkdir(elsewhere);
    await chmod(elsewhere, 0o750);
    await symlink(elsewhere, path.join(box.home, '.pks'));
    const result = await box.run(addArgs('r1'), { env: { PKS_HOME: '' } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await modeOf(elsewhere), 0o750);
    assert.ok((await lstat(path.join(box.home, '.pks'))).isSymbolicLink());
    assert.deepEqual(hostIds(await readFile(path.join(elsewhere, 'remote-hosts.json'), 'utf8')), ['r1']);
  });

  it('a folder others may write to (0777, no sticky bit) is refused, its mode untouched', async () => {
    const box = await sandbox();
    await mkdir(box.pksHome);
    await chmod(box.pksHome, 0o777);
    const result = await box.run([...addArgs('r1'), '--log-format', 'json']);
    assertErrorCode(result, 'E_STATE_DIR_UNSAFE', 1);
    assert.ok(lastError(result).message.includes(box.pksHome), result.stderr);
    assert.ok(lastError(result).hint !== undefined, 'with the next step');
    assert.doesNotMatch(result.stderr, STACK_TRACE);
    assert.equal(await modeOf(box.pksHome), 0o777);
    await assert.rejects(stat(path.join(box.pksHome, 'remote-hosts.json')), { code: 'ENOENT' });
  });

  it("another user's folder (root's 1777) is refused for a user who is not root", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'pks-state-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    await chmod(root, 0o755);
    const shared = path.join(root, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    const home = path.join(root, 'home');
    await mkdir(home);
    await run('chown', [`${user.uid}:${user.gid}`, home]);
    const result = await user.pks([...addArgs('r1'), '--log-format', 'json'], { HOME: home, PKS_HOME: shared, PATH: process.env.PATH });
    assertErrorCode(result, 'E_STATE_DIR_UNSAFE', 1);
    assert.ok(lastError(result).message.includes(shared), result.stderr);
    assert.equal(await modeOf(shared), 0o1777);
    await assert.rejects(stat(path.join(shared, 'remote-hosts.json')), { code: 'ENOENT' });
  });

  it('a symlinked remote-hosts.json is written through the link, which stays', async () => {
    const box = await sandbox();
    await mkdir(box.pksHome, { mode: 0o700 });
    const dotfiles = path.join(box.home, 'dotfiles');
    await mkdir(dotfiles);
    const target = path.join(dotfiles, 'hosts.json');
    await writeFile(target, JSON.stringify({ version: 1, hosts: [] }), { mode: 0o600 });
    await symlink(target, path.join(box.pksHome, 'remote-hosts.json'));
    const result = await box.run(addArgs('r1'));
    assert.equal(result.code, 0, result.stderr);
    assert.ok((await lstat(path.join(box.pksHome, 'remote-hosts.json'))).isSymbolicLink());
    assert.deepEqual(hostIds(await readFile(target, 'utf8')), ['r1']);
  });
});

describe('key files and ~/.ssh/config that are not regular files are never read', () => {
  it('--key naming a FIFO is refused at once (it used to hang)', async () => {
    const box = await sandbox();
    const fifo = path.join(box.home, 'key.fifo');
    await run('mkfifo', ['-m', '600', fifo]);
    const result = await box.run(['remote', 'add', 'f1', '--host', env.r1.host, '--user', env.r1.user, '--key', fifo], { timeoutMs: 20_000 });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /key.fifo is not a regular file/);
    assert.doesNotMatch(result.stderr, STACK_TRACE);
  });

  it('an IdentityFile of ~/.ssh/config that is a FIFO is skipped with a warning; the login goes on', async () => {
    const box = await sandbox();
    assert.equal((await box.run(addArgs('r1'))).code, 0);
    const fifo = path.join(box.home, '.ssh', 'id_fifo');
    await run('mkfifo', ['-m', '600', fifo]);
    await writeFile(path.join(box.home, '.ssh', 'config'), `Host ${env.r1.host}\n  IdentityFile ${fifo}\n`);
    const result = await box.run(['remote', 'test', 'r1'], { timeoutMs: 20_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /id_fifo is not a regular file\. Skipping it/);
  });

  it('a FIFO at ~/.ssh/config is not waited on: remote list answers', async () => {
    const box = await sandbox();
    assert.equal((await box.run(addArgs('r1'))).code, 0);
    await run('mkfifo', ['-m', '600', path.join(box.home, '.ssh', 'config')]);
    // The table shows where each host leads, as ssh_config resolves it.
    const result = await box.run(['remote', 'list'], { timeoutMs: 20_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^r1 +${env.r1.user}@${env.r1.host.replace(/[.]/g, '\\.')}:22 `, 'm'));
  });

  it('a key file far bigger than any key is refused without being parsed', async () => {
    const box = await sandbox();
    const big = path.join(box.home, 'big_key');
    await writeFile(big, Buffer.alloc(2 * 1024 * 1024, 0x41), { mode: 0o600 });
    const result = await box.run(['remote', 'add', 'b1', '--host', env.r1.host, '--user', env.r1.user, '--key', big], { timeoutMs: 20_000 });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /big_key is 2097152 bytes: a private key is never larger than 1 MiB/);
  });

  it('--key /dev/zero is refused as not a regular file', async () => {
    const box = await sandbox();
    const started = Date.now();
    const result = await box.run(['remote', 'add', 'z1', '--host', env.r1.host, '--user', env.r1.user, '--key', '/dev/zero'], { timeoutMs: 20_000 });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /\/dev\/zero is not a regular file/);
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  });
});
