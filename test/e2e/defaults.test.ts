// The default remote host and default options, run as a user would: `pks
// remote default`, PKS_REMOTE, ~/.pks/config.json, and `--remote local`. A
// registered host that refuses connections ("gone", port 1 on loopback) shows
// which engine a command went to without depending on what the engines hold.
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertErrorCode, lastError } from '../helpers/error-codes.js';
import { STACK_TRACE, sandboxPool, type Sandbox } from '../helpers/pks-cli.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';

let env: TestEnv;
const { sandbox, cleanup } = sandboxPool(() => env.knownHosts);

before(() => {
  env = loadTestEnv();
});
after(cleanup);

const GONE = { id: 'gone', host: '127.0.0.1', port: 1, user: 'nobody', addedAt: '2026-01-01T00:00:00.000Z' };

/** A sandbox whose registry holds "gone" (and whatever else is given), written as `pks remote add` would. */
async function withHosts(hosts: object[] = [GONE]): Promise<Sandbox> {
  const s = await sandbox();
  await mkdir(s.pksHome, { recursive: true, mode: 0o700 });
  await writeFile(path.join(s.pksHome, 'remote-hosts.json'), `${JSON.stringify({ version: 1, hosts })}\n`, { mode: 0o600 });
  return s;
}

async function writeConfig(s: Sandbox, config: object): Promise<void> {
  await writeFile(path.join(s.pksHome, 'config.json'), `${JSON.stringify({ version: 1, ...config })}\n`, { mode: 0o600 });
}

describe('pks remote default', () => {
  it('sets, shows (text and JSON), marks in remote list, and unsets the default; the file is private', async () => {
    const s = await withHosts();
    const none = await s.run(['remote', 'default', '--format', 'json']);
    assert.equal(none.code, 0, none.stderr);
    assert.deepEqual(JSON.parse(none.stdout), { remote: null, source: null });

    const set = await s.run(['remote', 'default', 'gone']);
    assert.equal(set.code, 0, set.stderr);
    const file = path.join(s.pksHome, 'config.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((JSON.parse(await readFile(file, 'utf8')) as { defaultRemote?: string }).defaultRemote, 'gone');

    const shown = await s.run(['remote', 'default']);
    assert.equal(shown.stdout, 'gone\n');
    assert.match(shown.stderr, /from .*config\.json/);
    const fromEnv = await s.run(['remote', 'default', '--format', 'json'], { env: { PKS_REMOTE: 'local' } });
    assert.deepEqual(JSON.parse(fromEnv.stdout), { remote: 'local', source: 'env' });

    const table = await s.run(['remote', 'list']);
    assert.match(table.stdout, /^gone \(default\)\s+nobody@127\.0\.0\.1:1\s/m);
    const listed = JSON.parse((await s.run(['remote', 'list', '--format', 'json'])).stdout) as Array<{ id: string; default: boolean }>;
    assert.deepEqual(listed.map((h) => [h.id, h.default]), [['gone', true]]);

    // Forgetting the default host forgets it as the default too.
    const twin = await withHosts([GONE, { ...GONE, id: 'twin' }]);
    await twin.run(['remote', 'default', 'twin']);
    const removed = await twin.run(['remote', 'remove', 'twin', '--yes', '--timeout', '1']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stderr, /It was the default remote/);
    assert.deepEqual(JSON.parse((await twin.run(['remote', 'default', '--format', 'json'])).stdout), { remote: null, source: null });

    const unset = await s.run(['remote', 'default', '--unset']);
    assert.equal(unset.code, 0, unset.stderr);
    assert.deepEqual(JSON.parse((await s.run(['remote', 'default', '--format', 'json'])).stdout), { remote: null, source: null });
    assert.doesNotMatch((await s.run(['remote', 'list'])).stdout, /\(default\)/);
  });

  it('refuses an unregistered id and "local", keeping the file as it was', async () => {
    const s = await withHosts();
    assertErrorCode(await s.run(['remote', 'default', 'nope', '--log-format', 'json']), 'E_UNKNOWN_REMOTE', 2);
    const local = await s.run(['remote', 'default', 'local', '--log-format', 'json']);
    assertErrorCode(local, 'E_USAGE', 2);
    assert.match(lastError(local).hint ?? '', /--unset/);
    await assert.rejects(stat(path.join(s.pksHome, 'config.json')), /ENOENT/);
  });
});

describe('the default remote in commands that take --remote', () => {
  it('every such command goes to the default host; --remote local and PKS_REMOTE=local bring it back to the local engine', async () => {
    const s = await withHosts();
    await writeConfig(s, { defaultRemote: 'gone' });
    const project = path.join(s.home, 'proj');
    await mkdir(path.join(project, '.devcontainer'), { recursive: true });
    await writeFile(path.join(project, '.devcontainer', 'devcontainer.json'), `{"image": "${env.images.busybox}"}`);
    const commands = [
      ['devcontainer', 'list'],
      ['devcontainer', 'logs', 'x'],
      ['devcontainer', 'stop', 'x'],
      ['devcontainer', 'prune', '--yes'],
      ['devcontainer', 'spawn', project],
    ];
    for (const command of commands) {
      const result = await s.run([...command, '--log-format', 'json']);
      assertErrorCode(result, 'E_SSH_UNREACHABLE', 1);
      assert.match(lastError(result).message, /127\.0\.0\.1 port 1/);
    }
    const local = await s.run(['devcontainer', 'list', '--remote', 'local']);
    assert.equal(local.code, 0, local.stderr);
    const envLocal = await s.run(['devcontainer', 'list'], { env: { PKS_REMOTE: 'local' } });
    assert.equal(envLocal.code, 0, envLocal.stderr);
    // --all-remotes asks every engine, the default one among them.
    const everywhere = await s.run(['devcontainer', 'list', '--all-remotes', '--log-format', 'json']);
    assertErrorCode(everywhere, 'E_LIST_PARTIAL', 1);
  });

  it('precedence: --remote over PKS_REMOTE over the configured default, on a real host', async () => {
    const s = await withHosts();
    const added = await s.run(['remote', 'add', 'r1', '--host', env.r1.host, '--user', env.r1.user, '--key', env.r1.key]);
    assert.equal(added.code, 0, added.stderr);
    await s.run(['remote', 'default', 'gone']);
    const viaEnv = await s.run(['devcontainer', 'list', '--all'], { env: { PKS_REMOTE: 'r1' } });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.match(`${viaEnv.stdout}${viaEnv.stderr}`, /r1/);
    const viaFlag = await s.run(['devcontainer', 'list', '--remote', 'r1', '--log-format', 'json'], { env: { PKS_REMOTE: 'gone' } });
    assert.equal(viaFlag.code, 0, viaFlag.stderr);
    const flagLocal = await s.run(['devcontainer', 'list', '--remote', 'local'], { env: { PKS_REMOTE: 'r1' } });
    assert.equal(flagLocal.code, 0, flagLocal.stderr);
    assert.doesNotMatch(flagLocal.stdout, /\sr1\s/);
  });

  it('a default naming an unknown host is the unknown-remote error, with how to unset it', async () => {
    const s = await withHosts();
    await writeConfig(s, { defaultRemote: 'vanished' });
    const fromConfig = await s.run(['devcontainer', 'list', '--log-format', 'json']);
    assertErrorCode(fromConfig, 'E_UNKNOWN_REMOTE', 2);
    assert.match(lastError(fromConfig).hint ?? '', /pks remote default --unset/);
    const fromEnv = await s.run(['devcontainer', 'list', '--log-format', 'json'], { env: { PKS_REMOTE: 'missing' } });
    assertErrorCode(fromEnv, 'E_UNKNOWN_REMOTE', 2);
    assert.match(lastError(fromEnv).hint ?? '', /^Unset PKS_REMOTE/);
    assert.doesNotMatch(fromEnv.stderr, STACK_TRACE);
    const bad = await s.run(['devcontainer', 'list', '--log-format', 'json'], { env: { PKS_REMOTE: 'Not An Id' } });
    assertErrorCode(bad, 'E_USAGE', 2);
  });
});

describe('default options from ~/.pks/config.json', () => {
  it('apply where the command line is silent, and the command line wins', async () => {
    const s = await withHosts();
    await writeConfig(s, { flags: { 'devcontainer list': { format: 'json', all: true } } });
    const listed = await s.run(['dc', 'ls']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(Array.isArray(JSON.parse(listed.stdout)), listed.stdout);
    const table = await s.run(['devcontainer', 'list', '--format', 'table']);
    assert.equal(table.code, 0, table.stderr);
    assert.throws(() => JSON.parse(table.stdout === '' ? 'x' : table.stdout));
  });

  it('an option the command does not have, or a value of the wrong kind, is a clear error; a broken file is left alone', async () => {
    const s = await withHosts();
    const wrong = { flags: { 'devcontainer list': { colour: true } } };
    await writeConfig(s, wrong);
    const result = await s.run(['devcontainer', 'list', '--log-format', 'json']);
    assertErrorCode(result, 'E_CONFIG_FILE_INVALID', 1);
    assert.match(lastError(result).message, /has no option --colour/);
    await writeConfig(s, { flags: { 'devcontainer list': { all: 'yes' } } });
    assertErrorCode(await s.run(['devcontainer', 'list', '--log-format', 'json']), 'E_CONFIG_FILE_INVALID', 1);
    // A file pks cannot understand is never rewritten.
    const broken = '{"version": 1, "defaultRemote": ';
    await writeFile(path.join(s.pksHome, 'config.json'), broken);
    assertErrorCode(await s.run(['remote', 'default', 'gone', '--log-format', 'json']), 'E_CONFIG_FILE_INVALID', 1);
    assert.equal(await readFile(path.join(s.pksHome, 'config.json'), 'utf8'), broken);
  });
});
