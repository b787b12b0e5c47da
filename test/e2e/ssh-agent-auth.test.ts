// How pks reports what went wrong with the ssh-agent during authentication,
// against the test hosts: an agent holding more keys than the server's
// MaxAuthTries (sshd's default, 6), and an SSH_AUTH_SOCK that leads nowhere.
// Each test starts its own ssh-agent on its own socket and ends it.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { STACK_TRACE, sandboxPool } from '../helpers/pks-cli.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
let env: TestEnv;
let dir: string;
const { sandbox, cleanup } = sandboxPool(() => env.knownHosts);
const agents: ChildProcess[] = [];

before(async () => {
  env = loadTestEnv();
  dir = await mkdtemp(path.join(os.tmpdir(), 'pks-agent-'));
});
after(async () => {
  for (const agent of agents) agent.kill('SIGKILL');
  await cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** An ssh-agent of this test's own, in the foreground, on `socket`. */
async function startAgent(socket: string): Promise<ChildProcess> {
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  agents.push(agent);
  await waitFor(() => access(socket).then(() => true, () => false), { timeoutMs: 5_000, intervalMs: 20, message: `ssh-agent did not create ${socket}` });
  return agent;
}

const addArgs = (id: string, key: string): string[] => ['remote', 'add', id, '--host', env.r1.host, '--user', env.r1.user, '--key', key];

describe('pks: an agent with more keys than MaxAuthTries', () => {
  it('is an authentication failure with the IdentitiesOnly hint, not a host key one', async () => {
    const socket = path.join(dir, 'many.sock');
    await startAgent(socket);
    for (let i = 0; i < 8; i++) {
      const key = path.join(dir, `throwaway-${i}`);
      await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `throwaway-${i}`, '-f', key]);
      await exec('ssh-add', ['-q', key], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
    }
    const s = await sandbox();
    const refused = await s.run(addArgs('many', env.r1.key), { env: { SSH_AUTH_SOCK: socket } });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /✔ host key/);
    assert.match(refused.stderr, /✖ authenticate\s+SSH authentication failed for pksdev@10\.231\.0\.2:22: the server closed the connection after too many authentication attempts \(Too many authentication failures\)/);
    assert.match(refused.stderr, /ssh-agent/);
    assert.match(refused.stderr, /IdentitiesOnly yes/);
    assert.doesNotMatch(refused.stderr, /✖ host key|accepts modern algorithms/);
    assert.doesNotMatch(refused.stderr, STACK_TRACE);

    // The hint works: with IdentitiesOnly only the named key is offered.
    await writeFile(path.join(s.home, '.ssh', 'config'), `Host ${env.r1.host}\n  IdentitiesOnly yes\n`);
    const added = await s.run(addArgs('many', env.r1.key), { env: { SSH_AUTH_SOCK: socket } });
    assert.equal(added.code, 0, added.stderr);
  });
});

describe('pks: an SSH_AUTH_SOCK that cannot be reached', () => {
  it('a path to nothing: the other keys are still tried, and a failure says the agent was not reached', async () => {
    const s = await sandbox();
    const nowhere = path.join(dir, 'no-agent-here.sock');
    const added = await s.run(addArgs('ok', env.r1.key), { env: { SSH_AUTH_SOCK: nowhere } });
    assert.equal(added.code, 0, added.stderr);

    const refused = await s.run(addArgs('wrong', env.r2.key), { env: { SSH_AUTH_SOCK: nowhere } });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /✖ authenticate\s+SSH authentication failed for pksdev@10\.231\.0\.2:22: the server refused key \S+r2_ed25519/);
    assert.ok(refused.stderr.includes(`the ssh-agent at ${nowhere} (SSH_AUTH_SOCK) could not be reached (no such socket)`), refused.stderr);
    assert.match(refused.stderr, /hint: .*point SSH_AUTH_SOCK at the running agent/);
    assert.doesNotMatch(refused.stderr, /refused the keys of ssh-agent/);
  });

  it('a dead agent\'s socket: the same, and the same message', async () => {
    const socket = path.join(dir, 'dead.sock');
    const agent = await startAgent(socket);
    agent.kill('SIGKILL');
    await new Promise((resolve) => agent.once('exit', resolve));
    await access(socket); // the socket file outlives its agent
    const s = await sandbox();
    const added = await s.run(addArgs('ok', env.r1.key), { env: { SSH_AUTH_SOCK: socket } });
    assert.equal(added.code, 0, added.stderr);
    const refused = await s.run(addArgs('wrong', env.r2.key), { env: { SSH_AUTH_SOCK: socket } });
    assert.equal(refused.code, 1, refused.stderr);
    assert.ok(refused.stderr.includes(`the ssh-agent at ${socket} (SSH_AUTH_SOCK) could not be reached (nothing answers on that socket)`), refused.stderr);
    assert.doesNotMatch(refused.stderr, /refused the keys of ssh-agent/);
  });
});
