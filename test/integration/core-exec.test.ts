// The exec machinery (hooks, `exec`, `shell`) against real engines: local and
// over SSH.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { execCapture } from '../../src/core/exec.js';
import { openLocalEngine, openSshEngine, type EngineClient } from '../../src/engine/index.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';

let env: TestEnv;
before(() => {
  env = loadTestEnv();
});

async function withContainer(engine: EngineClient, image: string, body: (id: string) => Promise<void>): Promise<void> {
  const { Id: id } = await engine.request(
    {
      method: 'POST',
      path: '/containers/create',
      query: { name: `pks-test-exec-${randomBytes(4).toString('hex')}` },
      body: { Image: image, Cmd: ['sh'], OpenStdin: true, Labels: { 'pks.test': 'core-exec' } },
    },
    z.looseObject({ Id: z.string() }),
  );
  try {
    await engine.requestEmpty({ method: 'POST', path: `/containers/${id}/start` });
    await body(id);
  } finally {
    await engine.requestEmpty({ method: 'DELETE', path: `/containers/${id}`, query: { force: 1 } });
  }
}

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
