// The user's own files as `connect --remote` touches them: ~/.ssh/config gets
// one Include line and keeps every other byte, a file pks cannot read is never
// replaced, a symlink is written through; a host entry that ssh_config cannot
// hold is refused by `remote add` and, when already stored, breaks no other.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodeContainerUri } from '../../src/core/containers/vscode-uri.js';
import type { EngineClient } from '../../src/engine/index.js';
import { createDevcontainer, removeDevcontainerFixture, type FakeDevcontainer } from '../integration/lifecycle-fixtures.js';
import { assertErrorCode, lastError } from '../helpers/error-codes.js';
import { createLocalUser, type LocalUser } from '../helpers/local-user.js';
import { STACK_TRACE, createSandbox, type Sandbox } from '../helpers/pks-cli.js';
import { engineFor } from '../helpers/projects.js';
import { loadTestEnv } from '../helpers/test-env.js';

const run = promisify(execFile);
const env = loadTestEnv();
let r1: EngineClient;
let fake: FakeDevcontainer;
let user: LocalUser;
const cleanups: Array<() => Promise<void>> = [];

before(async () => {
  r1 = await engineFor(env, 'r1');
  fake = await createDevcontainer(r1, { image: env.images.busybox, host: 'r1' });
  user = await createLocalUser();
});
after(async () => {
  for (const cleanup of cleanups) await cleanup();
  await removeDevcontainerFixture(r1, fake);
  await r1.close();
  await user.remove();
});

const addR1 = ['remote', 'add', 'r1', '--host', env.r1.host, '--user', env.r1.user, '--key', env.r1.key, '--no-test'];
const connectR1 = (): string[] => ['devcontainer', 'connect', fake.project, '--remote', 'r1', '--print-uri', '--yes'];

/** A HOME/PKS_HOME with r1 registered, removed after the file's tests. */
async function sandboxWithR1(): Promise<Sandbox> {
  const sandbox = await createSandbox({ knownHosts: env.knownHosts });
  cleanups.push(() => sandbox.cleanup());
  const added = await sandbox.run(addR1);
  assert.equal(added.code, 0, added.stderr);
  return sandbox;
}

function assertConnected(result: { code: number | null; stdout: string; stderr: string }): void {
  assert.equal(result.code, 0, result.stderr);
  assert.equal(decodeContainerUri(result.stdout.trim()).sshHostAlias, 'pks-r1');
}

describe('~/.ssh/config: one Include line added, nothing else changed', () => {
  /** A HOME of the throw-away user with r1 registered, and the environment to run pks as that user. */
  async function userWithR1(): Promise<{ home: string; userEnv: NodeJS.ProcessEnv }> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'pks-userfiles-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const home = path.join(root, 'home');
    await mkdir(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
    await user.give(env.knownHosts, path.join(home, '.ssh', 'known_hosts'));
    await user.give(env.r1.key, path.join(home, '.ssh', 'r1_key'));
    await run('chown', ['-R', `${user.uid}:${user.gid}`, root]);
    const userEnv = { HOME: home, PKS_HOME: path.join(home, '.pks'), PATH: process.env.PATH };
    const added = await user.pks(['remote', 'add', 'r1', '--host', env.r1.host, '--user', env.r1.user, '--key', path.join(home, '.ssh', 'r1_key'), '--no-test'], userEnv);
    assert.equal(added.code, 0, added.stderr);
    return { home, userEnv };
  }

  for (const { mode, code } of [
    { mode: 0o600, code: 'E_USER_FILE_UNREADABLE' },
    { mode: 0o644, code: 'E_USER_FILE_NOT_OWNED' },
  ]) {
    it(`a root-owned ${mode.toString(8)} ~/.ssh/config (a sudo vim leftover) is refused, never replaced`, async () => {
      const { home, userEnv } = await userWithR1();
      const config = path.join(home, '.ssh', 'config');
      const original = 'Host work\n  HostName work.example\n  User someone\n';
      await writeFile(config, original, { mode });

      const result = await user.pks([...connectR1(), '--log-format', 'json'], userEnv);

      assertErrorCode(result, code, 1);
      assert.ok(lastError(result).message.includes(config), result.stderr);
      assert.match(lastError(result).hint ?? '', /chown/);
      assert.doesNotMatch(result.stderr, STACK_TRACE);
      assert.equal(await readFile(config, 'utf8'), original, 'the Host blocks are still there');
      assert.equal((await stat(config)).uid, 0, 'still root-owned');
    });
  }

  it('keeps bytes that are not UTF-8 exactly as they were', async () => {
    const sandbox = await sandboxWithR1();
    const config = path.join(sandbox.home, '.ssh', 'config');
    const original = Buffer.concat([Buffer.from('Host caf'), Buffer.from([0xe9, 0x0a]), Buffer.from('  User \xff'), Buffer.from([0xfe, 0x80, 0x0a])]);
    await writeFile(config, original);
    await chmod(config, 0o640);
    assertConnected(await sandbox.run(connectR1()));
    assert.equal((await stat(config)).mode & 0o777, 0o640, 'its mode kept');
    const after = await readFile(config);
    assert.ok(after.toString('latin1').startsWith('# Added by pks'), after.toString('latin1'));
    assert.ok(after.subarray(after.length - original.length).equals(original), 'every byte of the file kept');
  });

  it('a folder at ~/.ssh/config is an error naming it, not an internal error', async () => {
    const sandbox = await sandboxWithR1();
    const config = path.join(sandbox.home, '.ssh', 'config');
    await mkdir(config);
    const result = await sandbox.run([...connectR1(), '--log-format', 'json']);
    assertErrorCode(result, 'E_USER_FILE_UNREADABLE', 1);
    assert.ok(lastError(result).message.includes(config), result.stderr);
    assert.doesNotMatch(result.stderr, /unexpected internal error|EISDIR/);
    assert.ok((await stat(config)).isDirectory());
  });

  it('a dangling ~/.ssh/config symlink is written through: the link stays, its target is created', async () => {
    const sandbox = await sandboxWithR1();
    const dotfiles = path.join(sandbox.home, 'dotfiles');
    await mkdir(dotfiles);
    const target = path.join(dotfiles, 'ssh_config');
    const config = path.join(sandbox.home, '.ssh', 'config');
    await symlink('../dotfiles/ssh_config', config);
    assertConnected(await sandbox.run(connectR1()));
    assert.ok((await lstat(config)).isSymbolicLink(), 'still a symlink');
    assert.match(await readFile(target, 'utf8'), new RegExp(`^Include ${path.join(sandbox.pksHome, 'ssh_config').replace(/[.]/g, '\\.')}$`, 'm'));
  });
});

/** Adds an entry to the sandbox's hosts file as an older pks (or a hand edit) could have stored it. */
async function storeByHand(sandbox: Sandbox, entry: Record<string, unknown>): Promise<void> {
  const hostsFile = path.join(sandbox.pksHome, 'remote-hosts.json');
  const stored = JSON.parse(await readFile(hostsFile, 'utf8')) as { version: number; hosts: Array<Record<string, unknown>> };
  stored.hosts.push({ dockerSocket: '/var/run/docker.sock', addedAt: new Date().toISOString(), ...entry });
  await writeFile(hostsFile, JSON.stringify(stored));
  await chmod(hostsFile, 0o600);
}

describe('host entries that ssh_config cannot hold', () => {
  it('remote add refuses them before saving anything (exit 2, naming the value)', async () => {
    const sandbox = await sandboxWithR1();
    for (const flags of [['--key', '/tmp/a"b'], ['--key', '/tmp/k\n  ProxyCommand sh'], ['--key', '/tmp/bell\x07']]) {
      const result = await sandbox.run(['remote', 'add', 'q1', '--host', 'h.example', ...flags, '--no-test', '--log-format', 'json']);
      assertErrorCode(result, 'E_SSH_CONFIG_VALUE', 2);
      assert.doesNotMatch(result.stderr, STACK_TRACE);
      const listed = await sandbox.run(['remote', 'list', '--format', 'json']);
      assert.deepEqual(
        (JSON.parse(listed.stdout) as Array<{ id: string }>).map((h) => h.id),
        ['r1'],
        `nothing saved for ${JSON.stringify(flags)}`,
      );
    }
  });

  it('one already stored is left out of ~/.pks/ssh_config with a warning; connect to another host works', async () => {
    const sandbox = await sandboxWithR1();
    await storeByHand(sandbox, { id: 'q1', host: 'h.example', key: '/tmp/a"b' });

    const result = await sandbox.run(connectR1());

    assertConnected(result);
    assert.match(result.stderr, /warning: .*"q1"/);
    const aliases = await readFile(path.join(sandbox.pksHome, 'ssh_config'), 'utf8');
    assert.match(aliases, /^Host pks-r1$/m);
    assert.doesNotMatch(aliases, /pks-q1|a"b/);
  });

  it('connecting through that very host says VS Code cannot reach it, naming it (exit 1)', async () => {
    const sandbox = await sandboxWithR1();
    // A real key whose path holds a double quote: pks logs in with it, ssh_config cannot name it.
    const key = path.join(sandbox.home, 'k"ey');
    await copyFile(env.r1.key, key);
    await chmod(key, 0o600);
    await storeByHand(sandbox, { id: 'q1', host: env.r1.host, user: env.r1.user, key });
    const result = await sandbox.run(['devcontainer', 'connect', fake.project, '--remote', 'q1', '--print-uri', '--yes', '--log-format', 'json']);
    assertErrorCode(result, 'E_SSH_ALIAS_UNWRITABLE', 1);
    assert.match(lastError(result).message, /"q1": .*double quote/, 'names the host and what ssh_config cannot hold');
    assert.match(lastError(result).hint ?? '', /pks remote add q1 /);
    assert.equal(result.stdout, '');
  });
});
