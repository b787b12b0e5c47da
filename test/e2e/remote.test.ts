// `pks remote add|list|test|remove` run as a user would, against the test
// environment's SSH hosts, each test with its own HOME and PKS_HOME.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { assertErrorCode, failedStep, lastError } from '../helpers/error-codes.js';
import { STACK_TRACE, sandboxPool } from '../helpers/pks-cli.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
let env: TestEnv;
const { sandbox, cleanup } = sandboxPool(() => env.knownHosts);

before(() => {
  env = loadTestEnv();
});
after(cleanup);

function addArgs(id: string, host: TestEnv['r1'], extra: string[] = []): string[] {
  return ['remote', 'add', id, '--host', host.host, '--user', host.user, '--key', host.key, ...extra];
}

interface StoredHost {
  id: string;
  host: string;
  capabilities?: { apiVersion: string; cpus: number; freeDiskBytes: number | null };
  lastTestedAt?: string;
}

describe('pks remote: round trip on both hosts', () => {
  it('add → list → test → remove, in table and JSON form', async () => {
    const s = await sandbox();
    for (const [id, host] of [['r1', env.r1], ['r2', env.r2]] as const) {
      const added = await s.run(addArgs(id, host));
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stderr, /✔ host key[\s\S]*✔ Docker socket[\s\S]*Added remote host/);
    }
    const table = await s.run(['remote', 'list']);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^ID\s+ADDRESS\s+KEY\s+ENGINE\s+LAST TESTED\s+WARM\n/);
    assert.match(table.stdout, new RegExp(`r1\\s+${env.r1.user}@${env.r1.host.replace(/\./g, '\\.')}:22\\s+\\S+r1_ed25519\\s+Docker \\S+\\s+just now`));
    assert.match(table.stdout, /\nr2\s+/);

    const listed = await s.run(['remote', 'list', '--format', 'json']);
    const hosts = JSON.parse(listed.stdout) as StoredHost[];
    assert.deepEqual(hosts.map((h) => h.id), ['r1', 'r2']);
    assert.equal(hosts[0]?.host, env.r1.host);
    assert.match(hosts[0]?.capabilities?.apiVersion ?? '', /^1\.\d+$/);
    assert.ok((hosts[0]?.capabilities?.cpus ?? 0) >= 1);
    assert.ok((hosts[0]?.capabilities?.freeDiskBytes ?? 0) > 0, 'free disk recorded');

    const tested = await s.run(['remote', 'test', 'r2', '--format', 'json']);
    assert.equal(tested.code, 0, tested.stderr);
    const report = JSON.parse(tested.stdout) as { id: string; ok: boolean; steps: Array<{ name: string; status: string }> };
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.steps.map((step) => step.name),
      ['resolve', 'tcp', 'host-key', 'auth', 'docker-socket', 'engine-version', 'disk', 'latency'],
    );
    assert.ok(report.steps.every((step) => step.status === 'pass'), JSON.stringify(report.steps));

    const text = await s.run(['remote', 'test', 'r1']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /✔ API latency\s+[\d.]+ ms median of 5 API pings/);

    const refused = await s.run(['remote', 'remove', 'r1', '--log-format', 'json']);
    assertErrorCode(refused, 'E_NEEDS_CONFIRMATION', 2); // no TTY and no --yes: refuse and name the flag
    assert.match(lastError(refused).hint ?? '', /--yes/);
    const removed = await s.run(['remote', 'remove', 'r1', '--yes']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stderr, /Removed remote host "r1"\. \d+ pks-managed containers? on it will be left as (they are|it is)/);
    const after = JSON.parse((await s.run(['remote', 'list', '--format', 'json'])).stdout) as StoredHost[];
    assert.deepEqual(after.map((h) => h.id), ['r2']);
  });

  it('an empty registry prints a hint, and [] as JSON', async () => {
    const s = await sandbox();
    const table = await s.run(['remote', 'list']);
    assert.equal(table.code, 0);
    assert.equal(table.stdout, '');
    assert.match(table.stderr, /pks remote add <id> --host <host>/);
    assert.equal((await s.run(['remote', 'list', '--format', 'json'])).stdout.trim(), '[]');
  });

  it('an unknown id is a usage error that lists the registered ids', async () => {
    const s = await sandbox();
    assert.equal((await s.run(addArgs('r1', env.r1, ['--no-test']))).code, 0);
    const result = await s.run(['remote', 'test', 'nope', '--log-format', 'json']);
    assertErrorCode(result, 'E_UNKNOWN_REMOTE', 2);
    assert.match(lastError(result).hint ?? '', /^Registered hosts: r1\./);
  });

  it('an existing id needs --force', async () => {
    const s = await sandbox();
    assert.equal((await s.run(addArgs('r1', env.r1, ['--no-test']))).code, 0);
    const again = await s.run(addArgs('r1', env.r2, ['--no-test', '--log-format', 'json']));
    assertErrorCode(again, 'E_REMOTE_EXISTS', 2);
    assert.match(lastError(again).hint ?? '', /--force/);
    const forced = await s.run(addArgs('r1', env.r2, ['--no-test', '--force']));
    assert.equal(forced.code, 0, forced.stderr);
    const hosts = JSON.parse((await s.run(['remote', 'list', '--format', 'json'])).stdout) as StoredHost[];
    assert.equal(hosts[0]?.host, env.r2.host);
  });
});

describe('pks remote: ssh_config aliases', () => {
  it('resolves HostName, User, Port and IdentityFile from ~/.ssh/config', async () => {
    const s = await sandbox();
    await writeFile(
      path.join(s.home, '.ssh', 'config'),
      `Host build-box\n  HostName ${env.r2.host}\n  User ${env.r2.user}\n  Port ${env.r2.port}\n  IdentityFile ${env.r2.key}\n`,
    );
    const added = await s.run(['remote', 'add', 'alias', '--host', 'build-box']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /✔ authenticate\s+logged in as pksdev/);
    const tested = await s.run(['remote', 'test', 'alias', '--verbose']);
    assert.equal(tested.code, 0, tested.stderr);
    assert.match(tested.stderr, new RegExp(`connecting to pksdev@${env.r2.host.replace(/\./g, '\\.')}:22`));
    // remote list says where pks really connects, and with which key.
    const listed = await s.run(['remote', 'list']);
    assert.match(listed.stdout, new RegExp(`alias\\s+build-box → pksdev@${env.r2.host.replace(/\./g, '\\.')}:22\\s+${env.r2.key.replace(/[./]/g, (c) => `\\${c}`)}\\s`));
    // In JSON an alias host's own user, port and key are absent: null, never missing.
    const [entry] = JSON.parse((await s.run(['remote', 'list', '--format', 'json'])).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual([entry?.['id'], entry?.['host'], entry?.['user'], entry?.['port'], entry?.['key'], entry?.['warm']], ['alias', 'build-box', null, null, null, false]);
    assert.ok(entry !== undefined && 'lastTestedAt' in entry && 'capabilities' in entry);
    // ~/.pks/ssh_config, once written (by connect or spawn), follows the registry.
    const aliases = path.join(s.pksHome, 'ssh_config');
    await writeFile(aliases, '# stale\n', { mode: 0o600 });
    assert.equal((await s.run(['remote', 'add', 'second', '--host', env.r1.host, '--user', env.r1.user, '--key', env.r1.key, '--no-test'])).code, 0);
    const written = await readFile(aliases, 'utf8');
    assert.match(written, /Host pks-alias\n {2}HostName \S+\n {2}User pksdev\n {2}Port 22\n {2}IdentityFile \S+r2_ed25519\n/, 'the alias\'s key is carried');
    assert.match(written, /Host pks-second\n/);
    assert.equal((await s.run(['remote', 'remove', 'second', '--yes'])).code, 0);
    assert.doesNotMatch(await readFile(aliases, 'utf8'), /pks-second/);
  });
});

describe('pks remote: ProxyJump', () => {
  it('tunnels through a jump host named in ~/.ssh/config', async () => {
    const s = await sandbox();
    // The jump host is r1 itself: the hop opens a direct-tcpip channel from
    // r1 to its own sshd, which proves the session runs inside the tunnel.
    await writeFile(
      path.join(s.home, '.ssh', 'config'),
      [
        'Host via-jump',
        `  HostName ${env.r1.host}`,
        `  User ${env.r1.user}`,
        `  IdentityFile ${env.r1.key}`,
        `  ProxyJump ${env.r1.user}@jump-r1`,
        'Host jump-r1',
        `  HostName ${env.r1.host}`,
        `  IdentityFile ${env.r1.key}`,
        '',
      ].join('\n'),
    );
    const added = await s.run(['remote', 'add', 'jumped', '--host', 'via-jump']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /- resolve name\s+resolved by the jump host 10\.231\.0\.2/);
    assert.match(added.stderr, /✔ Docker socket/);
    const sshdLog = await readFile(`/var/log/pks-test/${env.r1.netns}-sshd.log`, 'utf8');
    assert.match(sshdLog, /direct-tcpip|Connection from 10\.231\.0\.2/, 'the target saw a connection coming through the jump host');
  });
});

describe('pks remote: host keys', () => {
  it('refuses an unknown host without a TTY, accepts it with the flag and remembers it', async () => {
    const s = await sandbox(false);
    const refused = await s.run(addArgs('r1', env.r1, ['--log-format', 'json']));
    assertErrorCode(refused, 'E_REMOTE_TEST_FAILED', 1);
    // What the user checks and the flag that accepts it, before anything is trusted.
    assert.match(failedStep(refused, 'host key'), /ssh-ed25519 key SHA256:[A-Za-z0-9+/]{43}[\s\S]*hint: .*--accept-new-host-key/);
    assert.equal((await s.run(['remote', 'list', '--format', 'json'])).stdout.trim(), '[]', 'nothing saved');
    // Other commands have no flag for it: their hint names the command that has.
    assert.equal((await s.run(addArgs('unknown', env.r1, ['--no-test']))).code, 0);
    const listed = await s.run(['devcontainer', 'list', '--remote', 'unknown', '--log-format', 'json']);
    assertErrorCode(listed, 'E_HOST_KEY_UNKNOWN', 1);
    assert.match(lastError(listed).hint ?? '', /accept it with pks remote test unknown --accept-new-host-key/);
    assert.equal((await s.run(['remote', 'remove', 'unknown', '--yes'])).code, 0);

    const accepted = await s.run(addArgs('r1', env.r1, ['--accept-new-host-key']));
    assert.equal(accepted.code, 0, accepted.stderr);
    const knownHosts = path.join(s.pksHome, 'known_hosts');
    // What was trusted stays on record: the key's fingerprint and the file.
    assert.ok(accepted.stderr.includes(`✔ host key        new ssh-ed25519 key SHA256:`), accepted.stderr);
    assert.ok(accepted.stderr.includes(`trusted and added to ${knownHosts}`), accepted.stderr);
    assert.match(await readFile(knownHosts, 'utf8'), /^10\.231\.0\.2 ssh-ed25519 AAAA\S+\n$/);
    assert.equal((await stat(knownHosts)).mode & 0o777, 0o600);
    const again = await s.run(['remote', 'test', 'r1']);
    assert.equal(again.code, 0, 'remembered: no flag needed any more');
  });

  it('refuses a changed host key, loudly, and saves nothing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pks-hostkey-'));
    const port = 2222;
    let sshd: ChildProcess | undefined;
    try {
      await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'key-a')]);
      await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'key-b')]);
      const s = await sandbox();
      sshd = await startSshd(env.r2, port, path.join(dir, 'key-a'));
      const first = await s.run(addArgs('moving', env.r2, ['--port', String(port), '--accept-new-host-key']));
      assert.equal(first.code, 0, first.stderr);
      await stopSshd(sshd);

      sshd = await startSshd(env.r2, port, path.join(dir, 'key-b')); // the host's key is regenerated
      const tested = await s.run(['remote', 'test', 'moving', '--accept-new-host-key', '--format', 'json', '--log-format', 'json']);
      assertErrorCode(tested, 'E_REMOTE_TEST_FAILED', 1);
      const steps = (JSON.parse(tested.stdout) as { steps: Array<{ name: string; status: string; hint?: string }> }).steps;
      assert.deepEqual(steps.filter((step) => step.status === 'fail').map((step) => step.name), ['host-key'], tested.stdout);
      // The command that forgets the old key, for this host and port.
      assert.match(steps.find((step) => step.name === 'host-key')?.hint ?? '', /ssh-keygen -R '\[10\.231\.0\.6\]:2222'/);
      const other = await s.run(addArgs('other', env.r2, ['--port', String(port), '--accept-new-host-key', '--log-format', 'json']));
      assertErrorCode(other, 'E_REMOTE_TEST_FAILED', 1);
      failedStep(other, 'host key');
      const hosts = JSON.parse((await s.run(['remote', 'list', '--format', 'json'])).stdout) as StoredHost[];
      assert.deepEqual(hosts.map((h) => h.id), ['moving'], 'nothing saved for the changed host');
      const knownHosts = await readFile(path.join(s.pksHome, 'known_hosts'), 'utf8');
      assert.equal(knownHosts.trim().split('\n').length, 1, 'the changed key was not recorded');
    } finally {
      if (sshd !== undefined) await stopSshd(sshd);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('pks remote: credentials and reachability', () => {
  it('refuses a private key readable by others, with the chmod to run', async () => {
    const s = await sandbox();
    const loose = path.join(s.home, 'loose_key');
    await copyFile(env.r1.key, loose);
    await chmod(loose, 0o644);
    const result = await s.run(['remote', 'add', 'r1', '--host', env.r1.host, '--user', env.r1.user, '--key', loose, '--log-format', 'json']);
    assertErrorCode(result, 'E_REMOTE_TEST_FAILED', 1);
    assert.ok(failedStep(result, 'authenticate').endsWith(`hint: Run: chmod 600 ${loose}`), result.stderr);
  });

  it('names user and host when authentication fails (wrong key, wrong user)', async () => {
    const s = await sandbox();
    const wrongKey = await s.run(['remote', 'add', 'x', '--host', env.r1.host, '--user', env.r1.user, '--key', env.r2.key, '--log-format', 'json']);
    assertErrorCode(wrongKey, 'E_REMOTE_TEST_FAILED', 1);
    assert.ok(failedStep(wrongKey, 'authenticate').includes(` pksdev@${env.r1.host}:22`), wrongKey.stderr);
    const wrongUser = await s.run(['remote', 'add', 'x', '--host', env.r1.host, '--user', 'nosuchuser', '--key', env.r1.key, '--log-format', 'json']);
    assertErrorCode(wrongUser, 'E_REMOTE_TEST_FAILED', 1);
    assert.ok(failedStep(wrongUser, 'authenticate').includes(` nosuchuser@${env.r1.host}:22`), wrongUser.stderr);
  });

  it('says connection refused with host and port when no sshd listens', async () => {
    const s = await sandbox();
    const result = await s.run(addArgs('down', env.r2, ['--port', '2299', '--log-format', 'json']));
    assertErrorCode(result, 'E_REMOTE_TEST_FAILED', 1);
    assert.match(failedStep(result, 'TCP connect'), /10\.231\.0\.6:2299: .*ECONNREFUSED[\s\S]*hint: .*sshd listens on port 2299/);
    assert.doesNotMatch(result.stderr, STACK_TRACE);
  });

  it('explains a user without access to the Docker socket, with the fix', async () => {
    const s = await sandbox();
    const result = await s.run(['remote', 'add', 'nd', '--host', env.nodock.host, '--user', env.nodock.user, '--key', env.nodock.key, '--log-format', 'json']);
    assertErrorCode(result, 'E_REMOTE_TEST_FAILED', 1);
    assert.ok(failedStep(result, 'Docker socket').includes('`sudo usermod -aG docker pksnodock`'), result.stderr);
  });
});

describe('pks remote: the hosts file', () => {
  it('20 concurrent `pks remote add` processes lose no entry (5 rounds)', async () => {
    // Several rounds: a lost update showed up in about one round in five
    // before the lock stopped taking over locks of owners that had just
    // released them and exited.
    for (let round = 0; round < 5; round += 1) {
      const s = await sandbox();
      const ids = Array.from({ length: 20 }, (_, i) => `h${String(i).padStart(2, '0')}`);
      const results = await Promise.all(ids.map((id) => s.run(['remote', 'add', id, '--host', `${id}.example.test`, '--no-test'])));
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      const file = path.join(s.pksHome, 'remote-hosts.json');
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { version: number; hosts: StoredHost[] };
      assert.deepEqual(parsed.hosts.map((h) => h.id), ids, `round ${round + 1}`);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal((await stat(s.pksHome)).mode & 0o777, 0o700);
      assert.deepEqual((await readdir(s.pksHome)).filter((name) => name !== 'remote-hosts.json' && name !== 'known_hosts'), [], 'no lock or temporary file left');
    }
  });

  it('a corrupt file is reported and left byte-for-byte unchanged', async () => {
    const s = await sandbox();
    assert.equal((await s.run(addArgs('r1', env.r1, ['--no-test']))).code, 0);
    const file = path.join(s.pksHome, 'remote-hosts.json');
    const corrupt = (await readFile(file, 'utf8')).slice(0, 40);
    await writeFile(file, corrupt);
    for (const args of [['remote', 'list'], addArgs('r2', env.r2, ['--no-test']), ['remote', 'remove', 'r1', '--yes']]) {
      const result = await s.run([...args, '--log-format', 'json']);
      assertErrorCode(result, 'E_HOSTS_FILE_INVALID', 1);
      assert.ok(result.stderr.includes(file), `names the file: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, STACK_TRACE);
    }
    assert.equal(await readFile(file, 'utf8'), corrupt);
  });
});

async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const accepts = (): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  await waitFor(accepts, { timeoutMs, intervalMs: 50, message: `sshd on ${host}:${port} did not start` });
}

/** A second sshd in a remote host's namespace, with a host key of the test's choosing. */
async function startSshd(host: TestEnv['r2'], port: number, hostKey: string): Promise<ChildProcess> {
  const child = spawn(
    'nsenter',
    [
      `--net=/var/run/netns/${host.netns}`,
      '/usr/sbin/sshd', '-D', '-e', '-p', String(port), '-h', hostKey,
      '-o', `ListenAddress=${host.host}`,
      '-o', 'PidFile=none',
      '-o', 'UsePAM=no',
      '-o', 'PasswordAuthentication=no',
      '-o', 'KbdInteractiveAuthentication=no',
      '-o', `AuthorizedKeysFile=/var/lib/pks-test/${host.netns}/authorized_keys/%u`,
    ],
    { stdio: 'ignore' },
  );
  await waitForPort(host.host, port, 10_000);
  return child;
}

async function stopSshd(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
