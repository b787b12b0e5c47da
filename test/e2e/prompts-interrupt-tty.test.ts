// Ctrl-C and Ctrl-D at every kind of question pks asks on a terminal (the rm
// confirmation, the picker, remote remove, a first-time host key, a key's
// passphrase): the user stopped, so exit 130, nothing changed, and no error,
// stack trace or "bug" report, with or without --verbose.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openLocalEngine, type EngineClient } from '../../src/engine/index.js';
import { waitFor } from '../helpers/wait.js';
import { containerState, createDevcontainer, removeDevcontainerFixture, uniqueName, type FakeDevcontainer } from '../integration/lifecycle-fixtures.js';
import { STACK_TRACE, createSandbox, type Sandbox } from '../helpers/pks-cli.js';
import { inTerminal, pks } from '../helpers/terminal.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';

const exec = promisify(execFile);
let testEnv: TestEnv;
let local: EngineClient;
let scratch: string;
const sandboxes: Sandbox[] = [];
const made: FakeDevcontainer[] = [];

before(async () => {
  testEnv = loadTestEnv();
  local = await openLocalEngine({ DOCKER_HOST: `unix://${testEnv.localSocket}` });
  scratch = await mkdtemp(path.join(os.tmpdir(), 'pks-prompt-'));
});

after(async () => {
  await Promise.all(made.map((fake) => removeDevcontainerFixture(local, fake)));
  await local.close();
  await Promise.all(sandboxes.map((s) => s.cleanup()));
  await rm(scratch, { recursive: true, force: true });
});

async function sandbox(options: { knownHosts?: boolean } = {}): Promise<{ sandbox: Sandbox; env: NodeJS.ProcessEnv }> {
  const created = await createSandbox(options.knownHosts === false ? {} : { knownHosts: testEnv.knownHosts });
  sandboxes.push(created);
  return { sandbox: created, env: { ...created.env, DOCKER_HOST: `unix://${testEnv.localSocket}` } };
}

async function fake(project = uniqueName('pksint'), start = true): Promise<FakeDevcontainer> {
  const created = await createDevcontainer(local, { image: testEnv.images.busybox, project, host: 'local', start });
  made.push(created);
  return created;
}

const KEYS = [
  ['Ctrl-C', '\x03'],
  ['Ctrl-D', '\x04'],
] as const;

/** Runs `args` on a terminal, waits for `question`, types `key`: exit 130 and not a word of error. */
async function interruptAt(env: NodeJS.ProcessEnv, args: string[], question: RegExp, key: string): Promise<string> {
  const term = inTerminal(pks(args), { env });
  await waitFor(async () => question.test(term.output()), 20_000);
  term.write(key);
  const code = await term.exited;
  const output = term.output();
  assert.equal(code, 130, output);
  assert.doesNotMatch(output, /error|bug in pks|Aborted/i, output);
  assert.doesNotMatch(output, STACK_TRACE, output);
  return output;
}

for (const [keyName, key] of KEYS) {
  for (const verbose of [[], ['--verbose']]) {
    describe(`${keyName} at a prompt${verbose.length > 0 ? ' (--verbose)' : ''}`, () => {
      it('the rm confirmation: exit 130, the container and its volume stay', async () => {
        const { env } = await sandbox();
        // Stopped, and without --force (which, as docker rm -f, asks nothing): the question is asked.
        const target = await fake(undefined, false);
        await interruptAt(env, [...verbose, 'devcontainer', 'rm', target.name, '--volumes'], /Remove the dev container .*\[y\/N\]/, key);
        assert.equal((await containerState(local, target.id)).status, 'created', 'the container stays');
      });

      it('the picker: exit 130, nothing chosen', async () => {
        const { env } = await sandbox();
        const project = uniqueName('pkspick');
        const [first, second] = [await fake(project), await fake(project)];
        await interruptAt(env, [...verbose, 'devcontainer', 'rm', project, '--force', '--yes'], /Which one\?[\s\S]*Number:/, key);
        for (const kept of [first, second]) assert.equal((await containerState(local, kept.id)).running, true);
      });

      it('remote remove: exit 130, the host stays registered', async () => {
        const { sandbox: s, env } = await sandbox();
        const added = await s.run(['remote', 'add', 'gone', '--host', '127.0.0.1', '--port', '1', '--no-test']);
        assert.equal(added.code, 0, added.stderr);
        const hostsFile = path.join(s.pksHome, 'remote-hosts.json');
        const before = await readFile(hostsFile, 'utf8');
        await interruptAt(env, [...verbose, 'remote', 'remove', 'gone'], /Forget remote host "gone".*\[y\/N\]/, key);
        assert.equal(await readFile(hostsFile, 'utf8'), before);
      });

      it('a first-time host key: exit 130, the key is not recorded', async () => {
        const { sandbox: s, env } = await sandbox({ knownHosts: false });
        const host = testEnv.r1;
        await interruptAt(env, [...verbose, 'remote', 'add', 'r1', '--host', host.host, '--user', host.user, '--key', host.key], /authenticity of host[\s\S]*\[y\/N\]/, key);
        assert.deepEqual(await readdir(path.join(s.home, '.ssh')), [], 'no known_hosts written');
        assert.match(await readFile(path.join(s.pksHome, 'known_hosts'), 'utf8').catch(() => ''), /^$/, 'nothing accepted');
      });

      it('a key passphrase: exit 130', async () => {
        const { sandbox: s, env } = await sandbox();
        const keyFile = path.join(scratch, uniqueName('encrypted'));
        await copyFile(testEnv.r1.key, keyFile);
        await exec('ssh-keygen', ['-q', '-p', '-f', keyFile, '-P', '', '-N', 'correct horse']);
        const host = testEnv.r1;
        const added = await s.run(['remote', 'add', 'r1', '--host', host.host, '--user', host.user, '--key', keyFile, '--no-test']);
        assert.equal(added.code, 0, added.stderr);
        await interruptAt(env, [...verbose, 'remote', 'test', 'r1'], /Enter passphrase for key/, key);
      });
    });
  }
}
