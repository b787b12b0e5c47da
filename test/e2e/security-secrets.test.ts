// Security checks, part 2: no private key material and no passphrase in any
// output, --verbose included. The keys are the test environment's own (the
// only ones its hosts authorise): the r1 key as a file, and a copy of it
// encrypted with a passphrase, used on a terminal and through an ssh-agent
// this test starts.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import ssh2 from 'ssh2';
import type { EngineClient } from '../../src/engine/index.js';
import { STACK_TRACE, createSandbox, type PksResult, type Sandbox } from '../helpers/pks-cli.js';
import { createProject, engineFor, removeProjectResources, type Project } from '../helpers/projects.js';
import { pks } from '../helpers/terminal.js';
import { loadTestEnv } from '../helpers/test-env.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
const env = loadTestEnv();
const PASSPHRASE = `pks-Secret-${Math.random().toString(36).slice(2)}!`;
let scratch: string;
let encryptedKey: string;
let agent: ChildProcess | undefined;
let agentSocket: string;
let r1: EngineClient;
let project: Project;
const secrets: string[] = [];
const sandboxes: Sandbox[] = [];

/** The lines of a PEM/OpenSSH key body, and the whole file in base64. */
function keyMaterial(text: string): string[] {
  const body = text.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----'));
  return [...body, Buffer.from(text).toString('base64').slice(0, 64)];
}

before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'pks-secrets-'));
  encryptedKey = path.join(scratch, 'encrypted_ed25519');
  await copyFile(env.r1.key, encryptedKey);
  await chmod(encryptedKey, 0o600);
  await exec('ssh-keygen', ['-q', '-p', '-f', encryptedKey, '-P', '', '-N', PASSPHRASE]);
  const plain = await readFile(env.r1.key, 'utf8');
  const parsed = ssh2.utils.parseKey(plain);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || key instanceof Error) throw new Error('cannot parse the r1 key');
  secrets.push(PASSPHRASE, ...keyMaterial(plain), ...keyMaterial(await readFile(encryptedKey, 'utf8')), ...keyMaterial(key.getPrivatePEM()), ...keyMaterial(await readFile(env.r2.key, 'utf8')));

  // An agent of our own, holding the encrypted key (ssh-add reads the passphrase through SSH_ASKPASS).
  agentSocket = path.join(scratch, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
  await waitFor(() => stat(agentSocket).then(() => true, () => false), { timeoutMs: 5_000, intervalMs: 50, message: `ssh-agent did not create ${agentSocket}` });
  const askpass = path.join(scratch, 'askpass.sh');
  await writeFile(askpass, `#!/bin/sh\nprintf '%s\\n' '${PASSPHRASE}'\n`, { mode: 0o700 });
  await exec('ssh-add', [encryptedKey], { env: { PATH: process.env.PATH, SSH_AUTH_SOCK: agentSocket, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' } });

  r1 = await engineFor(env, 'r1');
  project = await createProject({ '.devcontainer/devcontainer.json': JSON.stringify({ image: env.images.busybox, postCreateCommand: 'echo created' }) });
});

after(async () => {
  if (agent?.pid !== undefined && agent.exitCode === null) agent.kill('SIGTERM');
  await removeProjectResources(r1, project.dir);
  await r1.close();
  await project.cleanup();
  await Promise.all(sandboxes.map((s) => s.cleanup()));
  await rm(scratch, { recursive: true, force: true });
});

async function sandbox(): Promise<Sandbox> {
  const s = await createSandbox({ knownHosts: env.knownHosts });
  sandboxes.push(s);
  return s;
}

function assertNoSecrets(output: string, label: string): void {
  for (const secret of secrets) assert.ok(!output.includes(secret), `${label}: secret material in the output:\n${output}`);
  assert.doesNotMatch(output, /PRIVATE KEY/, label);
  assert.doesNotMatch(output, STACK_TRACE, label);
}

async function run(s: Sandbox, args: string[], expectedCode: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<PksResult> {
  const result = await s.run(args, { env: extraEnv, timeoutMs: 180_000 });
  const label = `pks ${args.join(' ')}`;
  assert.equal(result.code, expectedCode, `${label}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assertNoSecrets(result.stdout + result.stderr, label);
  return result;
}

const addArgs = (id: string, key: string, extra: string[] = []) => ['remote', 'add', id, '--host', env.r1.host, '--user', env.r1.user, '--key', key, '--verbose', ...extra];

describe('security: secrets never reach the output', () => {
  it('an encrypted key without a terminal or agent fails clearly, pointing at ssh-agent', async () => {
    const s = await sandbox();
    for (const logFormat of ['text', 'json']) {
      const result = await run(s, [...addArgs('enc', encryptedKey), '--log-format', logFormat], 1);
      assert.match(result.stderr, /The private key \S+encrypted_ed25519 is encrypted and no terminal is available to ask for its passphrase/);
      assert.match(result.stderr, /ssh-agent/);
      assert.match(result.stderr, /ssh-add/);
    }
    await assert.rejects(stat(path.join(s.pksHome, 'remote-hosts.json')), 'nothing saved');
  });

  it('on a terminal the passphrase is asked without echo, and a wrong one is not repeated', async () => {
    const s = await sandbox();
    const right = await inTerminal(s, addArgs('enc', encryptedKey), `${PASSPHRASE}\r`);
    assert.equal(right.code, 0, right.output);
    assert.match(right.output, /Enter passphrase for key \S+encrypted_ed25519:/);
    assert.match(right.output, /Added remote host "enc"/);
    assertNoSecrets(right.output, 'remote add on a terminal');
    const wrongAnswer = `wrong-${PASSPHRASE.split('').reverse().join('')}`;
    const wrong = await inTerminal(s, ['remote', 'test', 'enc', '--verbose'], `${wrongAnswer}\r`);
    assert.equal(wrong.code, 1, wrong.output);
    assert.match(wrong.output, /Wrong passphrase for the private key \S+encrypted_ed25519/);
    assert.ok(!wrong.output.includes(wrongAnswer), `the typed passphrase was echoed:\n${wrong.output}`);
    assertNoSecrets(wrong.output, 'remote test with a wrong passphrase');
  });

  const flows = [
    { name: 'a key file', id: 'plain', key: () => env.r1.key, env: (): NodeJS.ProcessEnv => ({}) },
    { name: 'an encrypted key held by ssh-agent', id: 'agent', key: () => encryptedKey, env: (): NodeJS.ProcessEnv => ({ SSH_AUTH_SOCK: agentSocket }) },
  ];
  for (const flow of flows) {
    it(`with ${flow.name}: remote add/test/list/remove and spawn/list/exec on the host, all --verbose`, { timeout: 300_000 }, async () => {
      const s = await sandbox();
      const extra = flow.env();
      const added = await run(s, addArgs(flow.id, flow.key()), 0, extra);
      assert.match(added.stderr, /✔ authenticate\s+logged in as pksdev/);
      await run(s, ['remote', 'test', flow.id, '--verbose'], 0, extra);
      await run(s, ['remote', 'test', flow.id, '--verbose', '--format', 'json', '--log-format', 'json'], 0, extra);
      const listed = await run(s, ['remote', 'list', '--verbose', '--format', 'json'], 0, extra);
      assert.match(listed.stdout, new RegExp(`"id": "${flow.id}"`));
      await run(s, ['remote', 'list', '--verbose'], 0, extra);

      const spawned = await run(s, ['devcontainer', 'spawn', project.dir, '--remote', flow.id, '--verbose', '--format', 'json'], 0, extra);
      const container = (JSON.parse(spawned.stdout) as { containerName: string }).containerName;
      await run(s, ['devcontainer', 'list', '--remote', flow.id, '--verbose', '--format', 'json'], 0, extra);
      await run(s, ['devcontainer', 'list', '--all-remotes', '--verbose'], 0, { ...extra, DOCKER_HOST: `unix://${env.localSocket}` });
      const execed = await run(s, ['devcontainer', 'exec', '--remote', flow.id, '--verbose', container, '--', 'sh', '-c', 'echo exec-ok; echo "$HOME"'], 0, extra);
      assert.match(execed.stdout, /^exec-ok\n/);
      await run(s, ['devcontainer', 'inspect', container, '--remote', flow.id, '--verbose', '--format', 'json'], 0, extra);
      await run(s, ['devcontainer', 'rm', container, '--remote', flow.id, '--force', '--volumes', '--yes', '--verbose'], 0, extra);
      await run(s, ['remote', 'remove', flow.id, '--yes', '--verbose'], 0, extra);
    });
  }

  it('failures with --verbose show their cause, never the key: a key the host refuses', async () => {
    const s = await sandbox();
    const refused = await run(s, addArgs('refused', env.r2.key), 1);
    assert.match(refused.stderr, /SSH authentication failed for pksdev@10\.231\.0\.2:22: the server refused key \S+r2_ed25519 \(ssh-ed25519 SHA256:/);
  });
});

interface TerminalResult {
  code: number | null;
  output: string;
}

/** Runs pks on a pseudo-terminal (util-linux `script`) and types `answer` once the passphrase prompt shows. */
function inTerminal(s: Sandbox, args: string[], answer: string): Promise<TerminalResult> {
  const command = pks(args);
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: s.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let answered = false;
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    // Typed only once pks asked: it has switched echo off by then.
    if (!answered && /Enter passphrase for key [^\n]*: $/.test(output)) {
      answered = true;
      child.stdin.write(answer);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
