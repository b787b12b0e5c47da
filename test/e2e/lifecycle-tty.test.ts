// The built `pks` binary in the situations only a real process shows: a TTY
// session through a pseudo-terminal (util-linux `script`), window resizes,
// a picker answered on the terminal, Ctrl-C on `logs --follow`, exit codes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openLocalEngine, openSshEngine, type EngineClient } from '../../src/engine/index.js';
import { waitFor } from '../helpers/wait.js';
import { createDevcontainer, removeDevcontainerFixture, uniqueName, type FakeDevcontainer } from '../integration/lifecycle-fixtures.js';
import { STACK_TRACE, createSandbox, pksBin, type Sandbox } from '../helpers/pks-cli.js';
import { inTerminal as inTerminalWith, pks, shellQuote as quote } from '../helpers/terminal.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';

let testEnv: TestEnv;
let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;
let local: EngineClient;
let r1: EngineClient;
let scratch: string;
const inTerminal = (script: string, timeoutMs?: number) => inTerminalWith(script, { env, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
const made: Array<{ engine: () => EngineClient; fake: FakeDevcontainer }> = [];

before(async () => {
  testEnv = loadTestEnv();
  sandbox = await createSandbox({ knownHosts: testEnv.knownHosts });
  env = { ...sandbox.env, DOCKER_HOST: `unix://${testEnv.localSocket}` };
  const added = await sandbox.run(['remote', 'add', 'r1', '--host', testEnv.r1.host, '--user', testEnv.r1.user, '--key', testEnv.r1.key, '--no-test']);
  assert.equal(added.code, 0, added.stderr);
  local = await openLocalEngine({ DOCKER_HOST: `unix://${testEnv.localSocket}` });
  r1 = await openSshEngine({ host: testEnv.r1.host, port: testEnv.r1.port, username: testEnv.r1.user, privateKeyPath: testEnv.r1.key, knownHostsFiles: [testEnv.knownHosts] });
  scratch = await mkdtemp(path.join(os.tmpdir(), 'pks-tty-'));
});

after(async () => {
  await Promise.all(made.map(({ engine, fake }) => removeDevcontainerFixture(engine(), fake)));
  await Promise.all([local.close(), r1.close()]);
  await sandbox.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

async function make(where: 'local' | 'r1', project = uniqueName('pkstty')): Promise<FakeDevcontainer> {
  const engine = (): EngineClient => (where === 'local' ? local : r1);
  // Debian's stty: busybox-static's cannot read the window size here.
  const fake = await createDevcontainer(engine(), { image: testEnv.images.debian, project, host: where });
  made.push({ engine, fake });
  return fake;
}


for (const where of ['local', 'r1'] as const) {
  describe(`exec -it through a pseudo-terminal (${where})`, () => {
    const remote = where === 'local' ? [] : ['--remote', 'r1'];

    it('runs an interactive command with the terminal\'s size, follows a resize, and restores the terminal', async () => {
      const fake = await make(where);
      const go = path.join(scratch, `${fake.name}.go`);
      // The container prints its size, waits for a resize (the test's go file
      // triggers it), prints the new size, then reads a line typed by the user.
      // Engines before API 1.42 set the size just after the process starts
      // (as with docker exec -t), hence the wait for a size other than 0 0.
      const waitWhile = (size: string): string => `i=0; while [ "$(stty size)" = "${size}" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done`;
      // stty sets rows and columns one after the other (two SIGWINCHs, two
      // resizes): wait for both, not for the first change.
      const waitUntil = (size: string): string => `i=0; while [ "$(stty size)" != "${size}" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done`;
      const inner = `${waitWhile('0 0')}; echo "size:$(stty size)"; ${waitUntil('40 120')}; echo "size:$(stty size)"; read line; echo "got:$line"; exit 5`;
      const term = inTerminal(
        [
          'stty rows 30 cols 100',
          `(while [ ! -e ${quote(go)} ]; do sleep 0.1; done; stty rows 40 cols 120 </dev/tty) &`,
          `${pks(['devcontainer', 'exec', '-it', ...remote, fake.project, '--', 'sh', '-c', inner])}`,
          'echo "exit=$?"',
          'stty -a',
        ].join('\n'),
      );
      const seen = (text: string) => async () => {
        await waitFor(async () => term.output().includes(text), 20_000).catch((error: unknown) => {
          throw new Error(`${String(error)}; waited for ${JSON.stringify(text)}, the terminal showed: ${JSON.stringify(term.output())}`);
        });
      };
      await seen('size:30 100')();
      await writeFile(go, '');
      await seen('size:40 120')();
      term.write('typed here\r');
      assert.equal(await term.exited, 0);
      const out = term.output();
      assert.match(out, /got:typed here/);
      assert.match(out, /exit=5/, 'pks exits with the command\'s code');
      const settings = out.slice(out.indexOf('exit=5'));
      assert.match(settings, /(^|\s)icanon(\s|$)/m, 'canonical mode restored');
      assert.match(settings, /(^|\s)echo(\s|$)/m, 'echo restored');
      assert.doesNotMatch(out, STACK_TRACE);
    });

    it('exits with the code of a command that ends at once, every time (20 runs)', async () => {
      const fake = await make(where);
      // Commands that end before pks has even set the terminal size: the
      // stream's end and the exit code race with the attach and the resize.
      const runs = Array.from({ length: 10 }, (_, run) => [
        `${pks(['devcontainer', 'exec', '-i', '-t', ...remote, fake.project, '--', 'sh', '-c', '[ -t 1 ]'])}; echo "run${run}-tty=$?"`,
        `${pks(['devcontainer', 'exec', '-i', '-t', ...remote, fake.project, '--', 'sh', '-c', 'exit 123'])}; echo "run${run}-exit=$?"`,
      ]).flat();
      const term = inTerminal(runs.join('\n'), 120_000);
      const code = await term.exited;
      const out = term.output();
      assert.equal(code, 0, `the terminal showed: ${JSON.stringify(out)}`);
      for (let run = 0; run < 10; run += 1) {
        assert.match(out, new RegExp(`run${run}-tty=0\\b`), `run ${run} of [ -t 1 ]: ${JSON.stringify(out)}`);
        assert.match(out, new RegExp(`run${run}-exit=123\\b`), `run ${run} of exit 123: ${JSON.stringify(out)}`);
      }
      assert.doesNotMatch(out, STACK_TRACE);
    });
  });
}

describe('prompts and signals', () => {
  it('an ambiguous name on a terminal asks which container to use', async () => {
    const project = uniqueName('pkspick');
    const first = await make('local', project);
    const second = await make('local', project);
    const term = inTerminal(pks(['devcontainer', 'inspect', project, '--format', 'json']));
    await waitFor(async () => term.output().includes('Number:'), 20_000);
    assert.match(term.output(), new RegExp(`2 dev containers on the local engine match "${project}"\\. Which one\\?`));
    const lines = term.output().split(/\r?\n/);
    const chosen = lines.find((line) => line.includes('2) '))?.includes(second.name) ? second : first;
    term.write('2\r');
    assert.equal(await term.exited, 0);
    assert.match(term.output(), new RegExp(`"name": "${chosen.name}"`));
  });

  it('logs --follow exits 0 on Ctrl-C (SIGINT)', async () => {
    const fake = await make('local');
    const child = spawn(process.execPath, [pksBin, 'devcontainer', 'logs', '--follow', fake.project], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await waitFor(async () => stdout.includes('ready'), 20_000);
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    assert.equal(stdout, 'ready\n');
    assert.doesNotMatch(stderr, /error/);
  });

  it('exec without a TTY keeps the exit code and the streams apart', async () => {
    const fake = await make('r1');
    const result = await sandbox.run(['devcontainer', 'exec', '--remote', 'r1', fake.project, '--', 'sh', '-c', 'echo out; echo err >&2; exit 42'], { env });
    assert.equal(result.code, 42);
    assert.equal(result.stdout, 'out\n');
    assert.match(result.stderr, /^err\n/);
  });
});
