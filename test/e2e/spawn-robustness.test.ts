// Spawn when things go wrong around the container: a user the image does not
// have, pks killed (kill -9) while a hook runs, and a container create whose
// reply never arrives. Against the built binary and the real engines.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EngineClient } from '../../src/engine/index.js';
import { E2eFixture, remoteArgs } from '../helpers/e2e-fixture.js';
import { runWithFault } from '../helpers/faults.js';
import { STACK_TRACE } from '../helpers/pks-cli.js';
import { containerExec, leftovers, type Project, type Where } from '../helpers/projects.js';

const fixture = new E2eFixture(['local', 'r1']);
before(() => fixture.setUp());
after(() => fixture.tearDown());
const engine = (where: Where): EngineClient => fixture.engine(where);
const project = (where: Where, files: Record<string, string>): Promise<Project> => fixture.project(where, files);
const spawn = (where: Where, dir: string, extra: string[] = []) => fixture.spawn(where, dir, extra);
const config = (settings: Record<string, unknown>): Record<string, string> => ({
  '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', ...settings }),
});

for (const where of ['local', 'r1'] as const) {
  describe(`users the image does not have (${where === 'local' ? 'local engine' : `remote host ${where}`})`, () => {
    it('a missing remoteUser fails the spawn before any hook, naming the user and the image, and leaves nothing', async () => {
      const p = await project(where, config({ remoteUser: 'nosuchuser', onCreateCommand: 'touch /tmp/hook-ran' }));
      const result = await spawn(where, p.dir);
      assert.equal(result.code, 1, result.stderr);
      assert.doesNotMatch(result.stderr, STACK_TRACE);
      const outcome = result.outcome as unknown as { outcome: string; code: string; message: string; hint: string };
      assert.equal(outcome.outcome, 'error');
      assert.equal(outcome.code, 'E_REMOTE_USER_MISSING', result.stderr);
      assert.match(outcome.message, /^"remoteUser": "nosuchuser" names a user that does not exist in the image pks-test\/busybox:latest/);
      assert.match(outcome.hint, /Dockerfile.*Feature.*change "remoteUser"/);
      assert.doesNotMatch(result.stderr, /onCreateCommand/, 'no hook was started');
      assert.deepEqual(await leftovers(engine(where), p.dir), { containers: [], volumes: [] }, 'the container and its new volume were removed');
    });
  });
}

describe('users the image does not have (local engine)', () => {
  it('a missing containerUser, or a missing group of the remoteUser, fails clearly; a numeric uid the image lacks is fine', async () => {
    const p = await project('local', config({ containerUser: 'ghost' }));
    const result = await spawn('local', p.dir);
    assert.equal(result.code, 1, result.stderr);
    const outcome = result.outcome as unknown as { code: string; message: string };
    assert.equal(outcome.code, 'E_CONTAINER_USER_MISSING', result.stderr);
    assert.match(outcome.message, /^"containerUser": "ghost" names a user that does not exist in the image pks-test\/busybox:latest/);
    assert.deepEqual(await leftovers(engine('local'), p.dir), { containers: [], volumes: [] });

    const grouped = await project('local', config({ remoteUser: 'nobody:nosuchgroup' }));
    const groupResult = await spawn('local', grouped.dir);
    assert.equal(groupResult.code, 1, groupResult.stderr);
    const groupOutcome = groupResult.outcome as unknown as { code: string; message: string };
    assert.equal(groupOutcome.code, 'E_REMOTE_USER_MISSING');
    assert.match(groupOutcome.message, /^"remoteUser": "nobody:nosuchgroup" names a group that does not exist .*nosuchgroup is not in its \/etc\/group/);

    const numeric = await project('local', config({ remoteUser: '4321', postCreateCommand: 'id -u > /tmp/uid' }));
    const ok = await spawn('local', numeric.dir);
    assert.equal(ok.code, 0, ok.stderr);
    const uid = await containerExec(engine('local'), ok.outcome?.containerId ?? '', ['cat', '/tmp/uid']);
    assert.equal(uid.stdout.trim(), '4321');
  });
});

/**
 * A unix socket in front of the local engine that passes everything through,
 * except the reply to the first `POST …/containers/create`: once the engine
 * has answered it (the container exists), the client's connection is cut.
 */
async function replyDroppingProxy(engineSocket: string): Promise<{ socket: string; dropped: () => boolean; close: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pks-proxy-'));
  const socket = path.join(dir, 'engine.sock');
  let armed = true;
  let dropped = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(engineSocket);
    let dropping = false;
    client.on('data', (chunk: Buffer) => {
      if (armed && /^POST \S*\/containers\/create\b/m.test(chunk.toString('latin1'))) {
        armed = false;
        dropping = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!dropping) {
        client.write(chunk);
        return;
      }
      dropped = true;
      client.destroy();
      upstream.destroy();
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    dropped: () => dropped,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('a container create whose reply is lost', () => {
  it('the container the engine made anyway is found by its name and removed with the new volume; the message says so', async () => {
    const p = await project('local', config({}));
    const proxy = await replyDroppingProxy(fixture.env.localSocket);
    let result;
    try {
      result = await fixture.sandbox.run(['devcontainer', 'spawn', p.dir, '--no-launch'], { env: { DOCKER_HOST: `unix://${proxy.socket}` }, timeoutMs: 120_000 });
    } finally {
      await proxy.close();
    }
    assert.ok(proxy.dropped(), `the proxy saw the create: ${result.stderr}`);
    assert.equal(result.code, 1, result.stderr);
    assert.doesNotMatch(result.stderr, STACK_TRACE);
    assert.match(result.stderr, /while creating the container \(container step\)/);
    assert.match(result.stderr, /The half-created container pks-\S+ and its new volume pks-\S+-workspace were removed\./, result.stderr);
    assert.deepEqual(await leftovers(engine('local'), p.dir), { containers: [], volumes: [] }, `what the message says: ${result.stderr}`);
    const again = await spawn('local', p.dir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.outcome?.action, 'created');
  });
});

// The hook records each start and end; it prints `hook-began` once started.
const SLOW_HOOK = 'echo start >> /tmp/starts; echo hook-began; sleep 6; echo end >> /tmp/starts';
for (const { where, remoteUser } of [
  { where: 'local', remoteUser: 'nobody' },
  { where: 'r1', remoteUser: undefined },
] as const) {
  describe(`pks killed during a hook (${where === 'local' ? 'local engine' : `remote host ${where}`}, ${remoteUser ?? 'root'})`, () => {
    it('the next spawn waits for the hook still running and does not start it a second time', async () => {
      const p = await project(where, config({ ...(remoteUser === undefined ? {} : { remoteUser }), postCreateCommand: SLOW_HOOK }));
      const args = ['devcontainer', 'spawn', p.dir, '--no-launch', ...remoteArgs(where)];
      // The hook's own output line, not the line announcing its command.
      const began = (o: { stdout: string; stderr: string }): boolean => /^hook-began$/m.test(o.stderr + o.stdout);
      const killed = await runWithFault(fixture.sandbox, args, began, (child) => void child.kill('SIGKILL'));
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      const again = await fixture.sandbox.run(args, { timeoutMs: 120_000 });
      assert.equal(again.code, 0, again.stderr);
      const [id = ''] = (await leftovers(engine(where), p.dir)).containers;
      const starts = await containerExec(engine(where), id, ['cat', '/tmp/starts']);
      assert.equal(starts.stdout, 'start\nend\n', 'the hook ran once: not started again while it ran');
      assert.match(again.stderr, /postCreateCommand \(.*\), started by an earlier run of pks, is still running in the container: waiting for it/);
      // Its marker is there: a third spawn runs nothing.
      const third = await spawn(where, p.dir);
      assert.equal(third.code, 0, third.stderr);
      assert.equal((await containerExec(engine(where), id, ['cat', '/tmp/starts'])).stdout, 'start\nend\n');
    });
  });
}
