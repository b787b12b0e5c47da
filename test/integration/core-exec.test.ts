// The exec machinery (hooks, `exec`, `shell`) against real engines: local and
// over SSH.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { execCapture } from '../../src/core/containers/exec.js';
import { planUpload, uploadWorkspace } from '../../src/core/spawn/workspace-upload.js';
import { runLifecycleHooks, type HookEvent, type HookTarget } from '../../src/core/containers/hooks.js';
import { mergeConfiguration } from '../../src/devcontainer/index.js';
import { openLocalEngine, openSshEngine, type EngineClient } from '../../src/engine/index.js';
import { withContainer } from '../helpers/plain-container.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';

let env: TestEnv;
before(() => {
  env = loadTestEnv();
});

for (const where of ['local', 'ssh'] as const) {
  describe(`execCapture (${where} engine)`, () => {
    let engine: EngineClient;
    before(async () => {
      engine =
        where === 'local'
          ? await openLocalEngine({ DOCKER_HOST: `unix://${env.localSocket}` })
          : await openSshEngine({ host: env.r1.host, port: env.r1.port, username: env.r1.user, privateKeyPath: env.r1.key, knownHostsFiles: [env.knownHosts] });
    });
    after(() => engine.close());

    it('keeps stdout and stderr apart and returns the exit code', async () => {
      await withContainer(engine, env.images.busybox, async (id) => {
        const result = await execCapture(engine, id, { cmd: ['sh', '-c', 'echo out; echo err >&2; exit 7'] });
        assert.deepEqual(result, { exitCode: 7, stdout: 'out\n', stderr: 'err\n' });
      });
    });

    it('passes user, workdir, env and stdin; arguments are never parsed by a shell', async () => {
      await withContainer(engine, env.images.busybox, async (id) => {
        const stdin = new PassThrough();
        const running = execCapture(engine, id, {
          cmd: ['sh', '-c', 'echo "$0|$(id -u)|$(pwd)|$GREETING"; cat', '$(touch /tmp/pwned) "quoted" ünïcode'],
          user: 'nobody',
          workdir: '/tmp',
          env: ['GREETING=hi there'],
          stdin,
        });
        stdin.end('piped input\n');
        const result = await running;
        assert.equal(result.exitCode, 0, result.stderr);
        assert.equal(result.stdout, '$(touch /tmp/pwned) "quoted" ünïcode|65534|/tmp|hi there\npiped input\n');
        const check = await execCapture(engine, id, { cmd: ['test', '-e', '/tmp/pwned'] });
        assert.equal(check.exitCode, 1, 'the hostile argument ran nothing');
      });
    });
  });
}

describe('create-time hook markers (local engine)', () => {
  let engine: EngineClient;
  before(async () => {
    engine = await openLocalEngine({ DOCKER_HOST: `unix://${env.localSocket}` });
  });
  after(() => engine.close());

  const target = (id: string, remoteUser: string | undefined, events: HookEvent[]): HookTarget => ({
    engine,
    containerId: id,
    containerName: id.slice(0, 12),
    workspaceFolder: '/',
    remoteEnv: {},
    containerEnv: {},
    remoteUser,
    onEvent: (event) => events.push(event),
  });
  const markers = async (id: string) => (await execCapture(engine, id, { cmd: ['sh', '-c', 'ls /var/lib/pks/hooks 2>/dev/null; true'], user: 'root' })).stdout.split('\n').filter(Boolean).sort();
  const runs = async (id: string) => (await execCapture(engine, id, { cmd: ['sh', '-c', 'cat /tmp/runs 2>/dev/null; true'] })).stdout;

  // As root, the marker comes from the hook's own process; as another user, from an exec of its own.
  for (const remoteUser of [undefined, 'root', 'nobody'] as const) {
    it(`run once, recorded only after success, as ${remoteUser ?? 'the default user (root)'}`, async () => {
      await withContainer(engine, env.images.busybox, async (id) => {
        await execCapture(engine, id, { cmd: ['sh', '-c', 'touch /tmp/runs && chmod 666 /tmp/runs'], user: 'root' });
        // Lifecycle commands come from the metadata entries (features, then the configuration).
        const merged = mergeConfiguration({}, [
          { onCreateCommand: ['sh', '-c', 'echo onCreate >> /tmp/runs'] },
          { postCreateCommand: 'echo postCreate-1 >> /tmp/runs' },
          { postCreateCommand: 'echo postCreate-2 >> /tmp/runs' },
        ]);
        const events: HookEvent[] = [];
        await runLifecycleHooks(target(id, remoteUser, events), merged, 'create', { freshContainer: true });
        assert.equal(await runs(id), 'onCreate\npostCreate-1\npostCreate-2\n');
        assert.deepEqual(await markers(id), ['onCreateCommand', 'postCreateCommand']);
        assert.deepEqual(events.filter((e) => e.type === 'hook-start').map((e) => e.type === 'hook-start' && e.command), ['sh -c echo onCreate >> /tmp/runs', 'echo postCreate-1 >> /tmp/runs', 'echo postCreate-2 >> /tmp/runs']);

        // Again on the same container: both are skipped.
        const again: HookEvent[] = [];
        await runLifecycleHooks(target(id, remoteUser, again), merged, 'create');
        assert.equal(await runs(id), 'onCreate\npostCreate-1\npostCreate-2\n');
        assert.deepEqual(again.map((e) => e.type), ['hook-skip', 'hook-skip']);

        // A failing hook: its exit code reported, no marker, so the next run tries it again.
        const failing = mergeConfiguration({}, [{ updateContentCommand: 'echo failing >> /tmp/runs; exit 4' }]);
        for (let attempt = 0; attempt < 2; attempt += 1) {
          await assert.rejects(runLifecycleHooks(target(id, remoteUser, []), failing, 'create'), (error: unknown) => {
            assert.ok(isPksError(error), String(error));
            assert.equal(error.code, 'E_HOOK_FAILED');
            assert.ok(error.message.startsWith('updateContentCommand failed with exit code 4:'), error.message);
            return true;
          });
        }
        assert.equal(await runs(id), 'onCreate\npostCreate-1\npostCreate-2\nfailing\nfailing\n');
        assert.deepEqual(await markers(id), ['onCreateCommand', 'postCreateCommand']);
      });
    });
  }
});

describe('workspace upload: a file that changes while it is sent', () => {
  it('is reported as this machine\'s file, not as a lost engine connection', async () => {
    const engine = await openLocalEngine({ DOCKER_HOST: `unix://${env.localSocket}` });
    const dir = await mkdtemp(path.join(tmpdir(), 'pks-upload-read-'));
    try {
      await writeFile(path.join(dir, 'a.txt'), 'a'.repeat(10));
      // Planned at 3 MiB, read at 10 bytes: it shrank after the listing.
      const listed = await planUpload(dir, ['a.txt']);
      const planned = { ...listed, files: listed.files.map((file) => ({ ...file, size: 3 * 1024 * 1024 })), totalBytes: 3 * 1024 * 1024 };
      await withContainer(engine, env.images.busybox, async (id) => {
        await assert.rejects(
          uploadWorkspace(engine, id, { projectPath: dir, planned, destination: '/tmp/ws', base: '/tmp', uid: 0, gid: 0, gzip: false }),
          (error: unknown) => {
            assert.ok(isPksError(error));
            assert.equal(error.code, 'E_UPLOAD_READ');
            assert.match(error.message, /Reading the project failed during the upload: .*a\.txt changed size while being archived \(10 of 3145728 bytes\)\.$/);
            return true;
          },
        );
      });
    } finally {
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
