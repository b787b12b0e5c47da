// stop/start/restart, logs, exec and rm against real engines: the local one
// and a remote host over SSH, the same assertions on both.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { execCapture } from '../../src/core/containers/exec.js';
import type { EngineClient } from '../../src/engine/index.js';
import { assertErrorCode, lastError } from '../helpers/error-codes.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';
import { waitFor } from '../helpers/wait.js';
import {
  containerState,
  createDevcontainer,
  openHosts,
  removeDevcontainerFixture,
  runPks,
  uniqueName,
  volumeExists,
  type FakeDevcontainer,
  type FakeOptions,
  type Hosts,
} from './lifecycle-fixtures.js';

let testEnv: TestEnv;
let hosts: Hosts;

before(async () => {
  testEnv = loadTestEnv();
  hosts = await openHosts(testEnv);
});
after(() => hosts.cleanup());

// The engine logs stdout and stderr through separate pipes, so lines written
// at the same moment may be stored in either order: the stderr line comes first, alone.
const TEN_LINES = 'echo problem >&2; sleep 0.5; for i in 1 2 3 4 5 6 7 8 9 10; do echo line$i; done';

for (const where of ['local', 'r1'] as const) {
  describe(`lifecycle commands (${where === 'local' ? 'local engine' : 'remote host r1'})`, () => {
    const made: FakeDevcontainer[] = [];
    const engine = (): EngineClient => (where === 'local' ? hosts.local : hosts.r1);
    const remoteArgs = where === 'local' ? [] : ['--remote', 'r1'];
    // --remote goes right after the subcommand: after `--` it would belong to exec's command.
    const pks = ([command = '', ...args]: string[], options: Omit<Parameters<typeof runPks>[1], 'env'> = {}) =>
      runPks(['devcontainer', command, ...remoteArgs, ...args], { env: hosts.env, ...options });
    const make = async (options: Partial<FakeOptions> = {}): Promise<FakeDevcontainer> => {
      const fake = await createDevcontainer(engine(), { image: testEnv.images.busybox, project: uniqueName('pkscmd'), host: where, ...options });
      made.push(fake);
      return fake;
    };
    const starts = async (fake: FakeDevcontainer): Promise<number> => {
      const result = await execCapture(engine(), fake.id, { cmd: ['sh', '-c', 'cat /tmp/starts 2>/dev/null | wc -l'] });
      return Number(result.stdout.trim());
    };
    after(() => Promise.all(made.map((fake) => removeDevcontainerFixture(engine(), fake))));

    it('stop, start and restart change the state; postStartCommand runs after every start', async () => {
      const fake = await make();
      assert.equal(await starts(fake), 0);

      const stopped = await pks(['stop', fake.project, '--timeout', '5']);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stderr, new RegExp(`✔ Stopped ${fake.project} \\(${fake.name}`));
      assert.equal((await containerState(engine(), fake.id)).running, false);
      const again = await pks(['stop', fake.project]);
      assert.equal(again.code, 0, 'stopping a stopped container is not an error');
      assert.match(again.stderr, /is already stopped; nothing to do/);

      const started = await pks(['start', fake.project]);
      assert.equal(started.code, 0, started.stderr);
      assert.match(started.stderr, /Running postStartCommand: echo started >> \/tmp\/starts\n[\s\S]*✔ Started /);
      assert.equal((await containerState(engine(), fake.id)).running, true);
      assert.equal(await starts(fake), 1);
      const running = await pks(['start', fake.project]);
      assert.match(running.stderr, /is already running; nothing to do/);
      assert.equal(await starts(fake), 1, 'no start, no hook');

      const restarted = await pks(['restart', fake.project]);
      assert.equal(restarted.code, 0, restarted.stderr);
      assert.match(restarted.stderr, /✔ Restarted /);
      assert.equal(await starts(fake), 2);
      assert.equal(started.stdout + restarted.stdout, '', 'messages go to stderr');
    });

    it('a failing postStartCommand fails start with the hook\'s output and a next step', async () => {
      const fake = await make({ metadata: [{ postStartCommand: 'echo about to fail; exit 3' }], stopped: true });
      const result = await pks(['start', fake.project, '--log-format', 'json']);
      assertErrorCode(result, 'E_HOOK_FAILED', 1);
      assert.match(result.stderr, new RegExp(`pks devcontainer logs ${fake.name}${where === 'local' ? '' : ' --remote r1'}`));
      assert.equal((await containerState(engine(), fake.id)).running, true, 'the container keeps running for inspection');
    });

    it('logs: --tail, --timestamps, --since; stdout and stderr kept apart', async () => {
      const fake = await make({ prelude: TEN_LINES });
      await waitFor(async () => (await pks(['logs', fake.project])).stdout.includes('line10'));
      const all = await pks(['logs', fake.project]);
      assert.equal(all.stdout, Array.from({ length: 10 }, (_, i) => `line${i + 1}\n`).join(''));
      assert.equal(all.stderr, 'problem\n');

      const tail = await pks(['logs', fake.project, '--tail', '5']);
      assert.equal(tail.code, 0, tail.stderr);
      assert.equal(tail.stdout, 'line6\nline7\nline8\nline9\nline10\n');
      assert.equal(tail.stderr, '');

      const stamped = await pks(['logs', fake.project, '--tail', '2', '--timestamps']);
      assert.match(stamped.stdout, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z line9\n\d{4}-\d{2}-\d{2}T[\d:.]+Z line10\n$/);

      const future = new Date(Date.now() + 3_600_000).toISOString();
      assert.equal((await pks(['logs', fake.project, '--since', future])).stdout, '');
      assert.equal((await pks(['logs', fake.project, '--since', '10m'])).stdout.split('\n').length, 11);
      const bad = await pks(['logs', fake.project, '--since', 'yesterday', '--log-format', 'json']);
      assertErrorCode(bad, 'E_BAD_SINCE', 2);
    });

    it('logs --follow sees a line written after it started; ends when the container stops', async () => {
      const fake = await make({ prelude: 'echo first' });
      let out: { text: string } = { text: '' };
      const following = pks(['logs', fake.project, '--follow'], { onStart: (io) => (out = io.stdout) });
      await waitFor(async () => out.text.includes('first'));
      await execCapture(engine(), fake.id, { cmd: ['sh', '-c', 'echo written-later > /proc/1/fd/1'] });
      await waitFor(async () => out.text.includes('written-later'));
      await engine().requestEmpty({ method: 'POST', path: `/containers/${fake.id}/stop`, query: { t: 5 } });
      const result = await following;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'first\nwritten-later\n');
    });

    it('logs --follow ends cleanly on Ctrl-C', async () => {
      const fake = await make({ prelude: 'echo hello' });
      let interrupt: (() => void) | undefined;
      let out: { text: string } = { text: '' };
      const following = pks(['logs', fake.project, '-f'], {
        onStart: (io) => (out = io.stdout),
        onInterrupt: (handler) => {
          interrupt = handler;
          return () => (interrupt = undefined);
        },
      });
      await waitFor(async () => out.text.includes('hello'));
      assert.ok(interrupt, 'logs --follow listens for Ctrl-C');
      interrupt();
      const result = await following;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      assert.equal(interrupt, undefined, 'unsubscribed afterwards');
      assert.equal((await containerState(engine(), fake.id)).running, true);
    });

    it('exec runs as the remote user in the workspace folder with remoteEnv, and exits with the command\'s code', async () => {
      const fake = await make({
        metadata: [{ remoteEnv: { GREETING: 'hello ${containerEnv:BASE}' } }],
        env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'BASE=world'],
      });
      const result = await pks(['exec', fake.project, '--', 'sh', '-c', 'echo "$(pwd)|$(id -un)|$GREETING|$EXTRA"; echo to-stderr >&2; exit 7']);
      assert.equal(result.code, 7, result.stderr);
      assert.equal(result.stdout, `${fake.workspaceFolder}|root|hello world|\n`);
      assert.match(result.stderr, /^to-stderr\n/);

      const custom = await pks(['exec', '--user', 'nobody', '--workdir', '/tmp', '--env', 'EXTRA=x=y', '--env', 'GREETING=over', fake.project, '--', 'sh', '-c', 'echo "$(pwd)|$(id -un)|$GREETING|$EXTRA"']);
      assert.equal(custom.code, 0, custom.stderr);
      assert.equal(custom.stdout, '/tmp|nobody|over|x=y\n');
    });

    it('exec -i forwards piped stdin; the container defaults to the current folder\'s project', async () => {
      const fake = await make({ projectPath: `/tmp/pks-cmd-${where}-${uniqueName('p')}` });
      const stdin = new PassThrough();
      stdin.end('line one\nline two\n');
      const result = await runPks(['devcontainer', 'exec', '-i', ...remoteArgs, '--', 'sh', '-c', 'cat; echo done'], { env: hosts.env, cwd: fake.projectPath, stdin });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'line one\nline two\ndone\n');
      const none = await pks(['exec', '--log-format', 'json', fake.project]);
      assertErrorCode(none, 'E_NO_COMMAND', 2);
      const noTerminal = await pks(['exec', '-it', '--log-format', 'json', fake.project, '--', 'sh']);
      assertErrorCode(noTerminal, 'E_NOT_A_TTY', 2); // a pipe cannot be put in raw mode
      assert.match(lastError(noTerminal).hint ?? '', /^Drop -t/);
    });

    it('exec -it puts the terminal in raw mode for the session and restores it, whatever the exit code', async () => {
      const fake = await make();
      const modes: boolean[] = [];
      const stdin = Object.assign(new PassThrough(), {
        isTTY: true,
        setRawMode(mode: boolean) {
          modes.push(mode);
          return this;
        },
      });
      const running = pks(['exec', '-it', fake.project, '--', 'sh', '-c', 'read line; echo "got:$line"; exit 3'], { stdin });
      stdin.write('typed\r');
      const result = await running;
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stdout, /got:typed\r\n/, 'one raw stream, with the terminal\'s line endings');
      assert.deepEqual(modes, [true, false]);
    });

    it('rm needs --force for a running container and --yes (or --force) without a TTY; keeps the volume unless --volumes', async () => {
      const kept = await make();
      const running = await pks(['rm', kept.project, '--yes', '--log-format', 'json']);
      assertErrorCode(running, 'E_CONTAINER_RUNNING', 1);
      const stopped = await make({ start: false });
      const unconfirmed = await pks(['rm', stopped.project, '--log-format', 'json']);
      assertErrorCode(unconfirmed, 'E_NEEDS_CONFIRMATION', 2);
      assert.match(lastError(unconfirmed).hint ?? '', /--yes/, 'names the flag that answers the prompt');
      assert.equal((await containerState(engine(), kept.id)).running, true, 'nothing removed yet');
      assert.equal((await pks(['inspect', stopped.project])).code, 0, 'the unconfirmed one is still there');
      assert.equal((await pks(['rm', stopped.project, '--yes'])).code, 0);

      // As docker rm -f: --force asks nothing.
      const removed = await pks(['rm', kept.project, '--force']);
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stderr, new RegExp(`✔ Removed the container ${kept.name}`));
      assert.match(removed.stderr, new RegExp(`Kept the workspace volume ${kept.volume}`));
      assert.equal(await volumeExists(engine(), kept.volume), true);
      assertErrorCode(await pks(['inspect', kept.project, '--log-format', 'json']), 'E_CONTAINER_NOT_FOUND', 1); // the container is gone

      const gone = await make({ start: false });
      const both = await pks(['rm', gone.project, '--volumes', '--yes']);
      assert.equal(both.code, 0, both.stderr);
      assert.match(both.stderr, new RegExp(`✔ Removed the workspace volume ${gone.volume}`));
      assert.equal(await volumeExists(engine(), gone.volume), false);
    });
  });
}
