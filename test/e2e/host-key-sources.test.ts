// Host key sources beyond ~/.ssh/known_hosts, run as a user would against
// the test hosts: a GlobalKnownHostsFile (with @revoked or a plain entry) and
// RevokedHostKeys (a key list or a KRL) named in the test's own ~/.ssh/config.
// Nothing global is written: each test points ssh_config at files under its
// own temporary HOME, exactly as a user would.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { STACK_TRACE, sandboxPool, type Sandbox } from '../helpers/pks-cli.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';

const exec = promisify(execFile);
let env: TestEnv;
const { sandbox, cleanup } = sandboxPool(() => env.knownHosts);

before(() => {
  env = loadTestEnv();
});
after(cleanup);

/** `ssh-ed25519 AAAA…` of r1's real host key, as the test environment recorded it. */
async function r1HostKey(): Promise<string> {
  const line = (await readFile(env.knownHosts, 'utf8')).split('\n').find((l) => l.startsWith(`${env.r1.host} `));
  assert.ok(line !== undefined, `no known_hosts line for ${env.r1.host}`);
  return line.split(' ').slice(1, 3).join(' ');
}

async function addR1(s: Sandbox): Promise<void> {
  const added = await s.run(['remote', 'add', 'r1', '--host', env.r1.host, '--user', env.r1.user, '--key', env.r1.key, '--no-test']);
  assert.equal(added.code, 0, added.stderr);
}

/** `remote test` and `devcontainer list --remote` both refuse, with this message and no stack trace. */
async function assertRefused(s: Sandbox, message: RegExp): Promise<void> {
  const tested = await s.run(['remote', 'test', 'r1']);
  assert.equal(tested.code, 1, tested.stdout + tested.stderr);
  assert.match(tested.stdout + tested.stderr, /✖ host key/);
  assert.match(tested.stdout + tested.stderr, message);
  const listed = await s.run(['devcontainer', 'list', '--remote', 'r1']);
  assert.equal(listed.code, 1, listed.stdout + listed.stderr);
  assert.match(listed.stderr, message);
  assert.doesNotMatch(tested.stdout + tested.stderr + listed.stderr, STACK_TRACE);
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('pks: GlobalKnownHostsFile', () => {
  it('@revoked for r1\'s real key in a global known_hosts refuses it, though ~/.ssh/known_hosts trusts it', async () => {
    const s = await sandbox(true);
    const global = path.join(s.home, 'global_known_hosts');
    await writeFile(global, `# the administrator's list\n@revoked * ${await r1HostKey()}\n`);
    await writeFile(path.join(s.home, '.ssh', 'config'), `GlobalKnownHostsFile ${global}\n`);
    await addR1(s);
    await assertRefused(s, new RegExp(`marked @revoked in ${escape(global)}:2`));
    // OpenSSH agrees with the set-up: it refuses too.
    const ssh = await exec('ssh', ['-F', path.join(s.home, '.ssh', 'config'), '-o', `UserKnownHostsFile=${env.knownHosts}`, '-o', 'BatchMode=yes', '-i', env.r1.key, `${env.r1.user}@${env.r1.host}`, 'true']).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(ssh.code, 255);
    assert.match(ssh.stderr, /REVOKED HOST KEY/);
  });

  it('a plain entry in a global known_hosts is enough to trust the host', async () => {
    const s = await sandbox(false);
    const global = path.join(s.home, 'global_known_hosts');
    await writeFile(global, `${env.r1.host} ${await r1HostKey()}\n`);
    await writeFile(path.join(s.home, '.ssh', 'config'), `Host ${env.r1.host}\n  GlobalKnownHostsFile /nonexistent/first ${global}\n`);
    await addR1(s);
    const tested = await s.run(['remote', 'test', 'r1']);
    assert.equal(tested.code, 0, tested.stdout + tested.stderr);
    assert.match(tested.stdout, /✔ host key\s+matches known_hosts/);
  });
});

describe('pks: RevokedHostKeys', () => {
  it('a plain list of public keys naming r1\'s key refuses it', async () => {
    const s = await sandbox(true);
    const list = path.join(s.home, 'revoked_keys');
    await writeFile(list, `# old keys\n\n${await r1HostKey()} retired-2026\n`);
    await writeFile(path.join(s.home, '.ssh', 'config'), `Host ${env.r1.host}\n  RevokedHostKeys ${list}\n`);
    await addR1(s);
    await assertRefused(s, new RegExp(`is revoked by RevokedHostKeys ${escape(list)}`));
  });

  it('a KRL made by ssh-keygen -k naming r1\'s key refuses it; one naming another key does not', async () => {
    const s = await sandbox(true);
    const pub = path.join(s.home, 'r1_host_key.pub');
    await writeFile(pub, `${await r1HostKey()}\n`);
    const krl = path.join(s.home, 'revoked.krl');
    await exec('ssh-keygen', ['-q', '-k', '-f', krl, pub]);
    assert.equal((await readFile(krl)).subarray(0, 6).toString('latin1'), 'SSHKRL');
    await writeFile(path.join(s.home, '.ssh', 'config'), `RevokedHostKeys ~/revoked.krl\n`);
    await addR1(s);
    await assertRefused(s, new RegExp(`is revoked by RevokedHostKeys ${escape(krl)}`));

    // A KRL of someone else's key leaves r1 alone.
    await exec('ssh-keygen', ['-q', '-k', '-f', krl, `${env.r2.key}.pub`]);
    const tested = await s.run(['remote', 'test', 'r1']);
    assert.equal(tested.code, 0, tested.stdout + tested.stderr);
  });

  it('a RevokedHostKeys file that does not exist refuses every host, as ssh does', async () => {
    const s = await sandbox(true);
    const missing = path.join(s.home, 'no-such-list');
    await writeFile(path.join(s.home, '.ssh', 'config'), `RevokedHostKeys ${missing}\n`);
    await addR1(s);
    await assertRefused(s, new RegExp(`Cannot read the RevokedHostKeys file ${escape(missing)}`));
  });
});
