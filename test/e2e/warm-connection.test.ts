// Warm SSH connections, run as a user would: the first command that needs a
// host connects directly and, as it ends, starts a holder process in the
// background; later commands (and `docker` through `pks remote env`) reach
// the engine through its private unix socket.
// Holders are found by their PKS_HOME (read from /proc), so each test sees
// only its own.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { STACK_TRACE, runProcess, sandboxPool, type Sandbox } from '../helpers/pks-cli.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';
import { waitFor } from '../helpers/wait.js';
import { alive, settledHolders } from '../helpers/warm-holders.js';

const exec = promisify(execFile);
let env: TestEnv;
const { sandbox, cleanup } = sandboxPool(() => env.knownHosts);
const used: Sandbox[] = [];

/** Warm connections on, with an idle time that outlives each test. */
const WARM = { PKS_NO_PERSIST: '', PKS_PERSIST_IDLE_SECONDS: '120' };

before(() => {
  env = loadTestEnv();
});
// No holder outlives its test.
afterEach(async () => {
  await Promise.all(used.splice(0).map((s) => s.run(['remote', 'disconnect', '--all'], { env: WARM })));
});
after(cleanup);

/** A sandbox with r1 registered, warm connections on. */
async function warmSandbox(extraEnv: NodeJS.ProcessEnv = {}): Promise<{ s: Sandbox; run: (args: string[], more?: NodeJS.ProcessEnv) => ReturnType<Sandbox['run']> }> {
  const s = await sandbox();
  used.push(s);
  const added = await s.run(['remote', 'add', 'r1', '--host', env.r1.host, '--user', env.r1.user, '--key', env.r1.key, '--no-test']);
  assert.equal(added.code, 0, added.stderr);
  return { s, run: (args, more = {}) => s.run(args, { env: { ...WARM, ...extraEnv, ...more } }) };
}

/** The sandbox's holders, once those its commands started in the background answer (or ended). */
async function holdersOf(s: Sandbox): Promise<number[]> {
  return settledHolders(s.pksHome);
}

async function runFiles(s: Sandbox): Promise<string[]> {
  return readdir(path.join(s.pksHome, 'run')).catch(() => []);
}

const LIST = ['devcontainer', 'list', '--remote', 'r1', '--format', 'json'];

describe('warm connection: one holder per host, reused', () => {
  it('the second command reuses the first one\'s holder; remote list shows it warm; sockets are 0600 in a 0700 folder', async () => {
    const { s, run } = await warmSandbox();
    const first = await run(LIST);
    assert.equal(first.code, 0, first.stderr);
    const holders = await holdersOf(s);
    assert.equal(holders.length, 1, 'the first command started one holder');
    const second = await run(LIST);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(await holdersOf(s), holders, 'the second command used the same holder (no second SSH login)');

    const listed = JSON.parse((await run(['remote', 'list', '--format', 'json'])).stdout) as Array<{ id: string; warm: boolean }>;
    assert.deepEqual(listed.map((h) => [h.id, h.warm]), [['r1', true]]);
    const table = await run(['remote', 'list']);
    assert.match(table.stdout, /LAST TESTED\s+WARM\n/);
    assert.match(table.stdout, /\nr1\s.*\syes\n/);

    const dir = path.join(s.pksHome, 'run');
    const dirInfo = await stat(dir);
    assert.equal(dirInfo.mode & 0o777, 0o700);
    assert.equal(dirInfo.uid, process.getuid?.());
    const files = await runFiles(s);
    assert.equal(files.filter((f) => f.endsWith('.sock')).length, 1);
    assert.equal(files.filter((f) => f.endsWith('.ctl')).length, 1);
    for (const file of files.filter((f) => /\.(sock|ctl)$/.test(f))) {
      const info = await stat(path.join(dir, file));
      assert.ok(info.isSocket(), file);
      assert.equal(info.mode & 0o777, 0o600, `${file} mode`);
      assert.equal(info.uid, process.getuid?.(), `${file} owner`);
    }
  });

  it('ten commands started at once leave one holder', async () => {
    const { s, run } = await warmSandbox();
    const results = await Promise.all(Array.from({ length: 10 }, () => run(LIST)));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    assert.equal((await holdersOf(s)).length, 1, 'one holder for ten racing commands');
    assert.deepEqual((await runFiles(s)).filter((f) => f.endsWith('.lock')), [], 'the start lock is released');
  });

  it('a cold command connects directly and does not wait for a holder being started', async () => {
    const { s, run } = await warmSandbox();
    assert.equal((await run(LIST)).code, 0);
    assert.equal((await holdersOf(s)).length, 1);
    const [name] = (await runFiles(s)).filter((f) => f.endsWith('.ctl'));
    assert.ok(name !== undefined, 'a holder was started');
    assert.equal((await run(['remote', 'disconnect', '--all'])).code, 0);
    // Another process (this test, alive) is starting the holder and holds its start lock.
    const lock = path.join(s.pksHome, 'run', name.replace(/\.ctl$/, '.lock'));
    await writeFile(lock, `${process.pid} 0123456789abcdef\n`, { mode: 0o600 });
    try {
      const started = Date.now();
      const cold = await run(LIST);
      assert.equal(cold.code, 0, cold.stderr);
      assert.ok(Date.now() - started < 8_000, `answered in ${Date.now() - started} ms, without waiting for the lock`);
      assert.deepEqual(await holdersOf(s), [], 'no second holder while one is being started');
    } finally {
      await rm(lock, { force: true });
    }
  });

  it('--no-persist and PKS_NO_PERSIST=1 open no holder', async () => {
    const { s, run } = await warmSandbox();
    const flag = await run(['--no-persist', ...LIST]);
    assert.equal(flag.code, 0, flag.stderr);
    const variable = await run(LIST, { PKS_NO_PERSIST: '1' });
    assert.equal(variable.code, 0, variable.stderr);
    assert.deepEqual(await holdersOf(s), []);
    assert.deepEqual(await runFiles(s), []);
    const envOff = await run(['remote', 'env', 'r1'], { PKS_NO_PERSIST: '1' });
    assert.equal(envOff.code, 2, 'remote env needs a warm connection');
    assert.match(envOff.stderr, /Warm connections are turned off/);
  });
});

describe('warm connection: its end', () => {
  it('remote disconnect ends the holder and removes its sockets; a bare disconnect is a usage error', async () => {
    const { s, run } = await warmSandbox();
    assert.equal((await run(LIST)).code, 0);
    const [pid] = await holdersOf(s);
    assert.ok(pid !== undefined);
    const usage = await run(['remote', 'disconnect']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--all/);
    const ended = await run(['remote', 'disconnect', 'r1', '--format', 'json']);
    assert.equal(ended.code, 0, ended.stderr);
    assert.deepEqual(JSON.parse(ended.stdout), { disconnected: [{ id: 'r1', pid }] });
    await waitFor(() => !alive(pid), { timeoutMs: 5_000, message: 'the holder ended' });
    assert.deepEqual(await runFiles(s), []);
    const listed = JSON.parse((await run(['remote', 'list', '--format', 'json'])).stdout) as Array<{ warm: boolean }>;
    assert.equal(listed[0]?.warm, false);
  });

  it('remote remove ends the removed host\'s holder', async () => {
    const { s, run } = await warmSandbox();
    assert.equal((await run(LIST)).code, 0);
    const [pid] = await holdersOf(s);
    assert.ok(pid !== undefined);
    const removed = await run(['remote', 'remove', 'r1', '--yes']);
    assert.equal(removed.code, 0, removed.stderr);
    await waitFor(() => !alive(pid), { timeoutMs: 5_000, message: 'the removed host\'s holder ended' });
    assert.deepEqual(await runFiles(s), []);
  });

  it('a holder unused for PKS_PERSIST_IDLE_SECONDS exits and removes its sockets', async () => {
    const { s, run } = await warmSandbox({ PKS_PERSIST_IDLE_SECONDS: '2' });
    assert.equal((await run(LIST)).code, 0);
    const [pid] = await holdersOf(s);
    assert.ok(pid !== undefined);
    await waitFor(() => !alive(pid), { timeoutMs: 15_000, message: 'the idle holder exited' });
    assert.deepEqual(await runFiles(s), []);
    const invalid = await run(LIST, { PKS_PERSIST_IDLE_SECONDS: 'soon' });
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /PKS_PERSIST_IDLE_SECONDS must be a whole number/);
  });

  it('a crashed holder (socket files left, nobody behind them) is replaced without an error', async () => {
    const { s, run } = await warmSandbox();
    assert.equal((await run(LIST)).code, 0);
    const [pid] = await holdersOf(s);
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), 5_000);
    assert.equal((await runFiles(s)).filter((f) => /\.(sock|ctl)$/.test(f)).length, 2, 'stale socket files are left');
    const again = await run(LIST);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /error/i);
    const now = await holdersOf(s);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], pid, 'a new holder');
  });

  it('a holder whose PKS_HOME is removed exits', async () => {
    const { s, run } = await warmSandbox();
    assert.equal((await run(LIST)).code, 0);
    const [pid] = await holdersOf(s);
    assert.ok(pid !== undefined);
    await exec('rm', ['-rf', path.join(s.pksHome, 'run')]);
    await waitFor(() => !alive(pid), { timeoutMs: 10_000, message: 'the holder noticed its socket is gone' });
  });
});

describe('warm connection: docker tools and who may use it', () => {
  it('remote env prints DOCKER_HOST; docker ps works through it', async () => {
    const { s, run } = await warmSandbox();
    const shell = await run(['remote', 'env', 'r1']);
    assert.equal(shell.code, 0, shell.stderr);
    const match = /^export DOCKER_HOST='(unix:\/\/[^']+\.sock)'\n$/.exec(shell.stdout);
    assert.ok(match?.[1] !== undefined, shell.stdout);
    const json = await run(['remote', 'env', 'r1', '--format', 'json']);
    assert.deepEqual(JSON.parse(json.stdout), { DOCKER_HOST: match[1] });
    assert.equal((await holdersOf(s)).length, 1);
    const docker = await runProcess(['docker', 'ps', '--format', '{{.ID}}'], { env: { PATH: process.env.PATH, HOME: s.home, DOCKER_HOST: match[1] }, cwd: s.home, timeoutMs: 30_000 });
    assert.equal(docker.code, 0, docker.stderr);
    const info = await runProcess(['docker', 'info', '--format', '{{.DockerRootDir}}'], { env: { PATH: process.env.PATH, HOME: s.home, DOCKER_HOST: match[1] }, cwd: s.home, timeoutMs: 30_000 });
    assert.match(info.stdout, /pks-r1/, 'the engine reached is r1\'s, not the local one');
  });

  it('another user cannot connect to the sockets', async () => {
    const { run } = await warmSandbox();
    const shell = await run(['remote', 'env', 'r1']);
    const socket = /unix:\/\/([^']+)/.exec(shell.stdout)?.[1];
    assert.ok(socket !== undefined, shell.stdout);
    const probe = `require('net').connect(${JSON.stringify(socket)}).on('connect',()=>{console.log('CONNECTED');process.exit(0)}).on('error',(e)=>{console.log(e.code);process.exit(0)})`;
    const asNobody = await runProcess(['setpriv', '--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', '--', process.execPath, '-e', probe], { env: { PATH: process.env.PATH }, cwd: '/', timeoutMs: 15_000 });
    assert.equal(asNobody.stdout.trim(), 'EACCES', asNobody.stderr);
    const control = socket.replace(/\.sock$/, '.ctl');
    const controlProbe = probe.replace(JSON.stringify(socket), JSON.stringify(control));
    const ctl = await runProcess(['setpriv', '--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', '--', process.execPath, '-e', controlProbe], { env: { PATH: process.env.PATH }, cwd: '/', timeoutMs: 15_000 });
    assert.equal(ctl.stdout.trim(), 'EACCES', ctl.stderr);
  });
});

describe('warm connection: host keys stay as strict', () => {
  it('a changed host key is refused when a new holder connects, with the same error as without one', async () => {
    const { s, run } = await warmSandbox();
    assert.equal((await run(LIST)).code, 0);
    const [oldPid] = await holdersOf(s);
    // The host's key "changes": known_hosts now names another key for it.
    const dir = path.join(s.home, 'other-key');
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', dir]);
    const otherKey = (await readFile(`${dir}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
    await writeFile(path.join(s.home, '.ssh', 'known_hosts'), `${env.r1.host} ${otherKey}\n`);
    const warm = await run(LIST);
    const direct = await run(['--no-persist', ...LIST]);
    assert.equal(warm.code, 1, warm.stderr);
    assert.equal(direct.code, 1, direct.stderr);
    assert.match(warm.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
    assert.equal(warm.stderr, direct.stderr, 'the holder\'s error is the command\'s own');
    assert.deepEqual(JSON.parse(warm.stdout), JSON.parse(direct.stdout));
    assert.equal((JSON.parse(warm.stdout) as { code: string }).code, 'E_HOST_KEY_CHANGED');
    assert.doesNotMatch(warm.stderr, STACK_TRACE);
    const holders = await holdersOf(s);
    assert.deepEqual(holders, oldPid === undefined ? [] : [oldPid], 'no holder for the refused connection; the old one is not reused');
    const remoteEnv = await run(['remote', 'env', 'r1']);
    assert.equal(remoteEnv.code, 1);
    assert.match(remoteEnv.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
  });
});
