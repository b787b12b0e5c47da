// `rm` and the anonymous volumes of "mounts" without a source
// (`type=volume,target=/cache`): kept and said so by default, removed with
// --volumes — on the local engine and on a remote host.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspectContainer } from '../../src/core/containers/container-info.js';
import { volumeExists } from '../integration/lifecycle-fixtures.js';
import { E2eFixture, remoteArgs } from '../helpers/e2e-fixture.js';
import type { Where } from '../helpers/projects.js';

const fixture = new E2eFixture(['local', 'r1']);
const keptVolumes: Array<{ where: Where; name: string }> = [];
before(() => fixture.setUp());
after(async () => {
  for (const { where, name } of keptVolumes) await fixture.engine(where).requestEmpty({ method: 'DELETE', path: `/volumes/${name}`, okStatuses: [404, 409] });
  await fixture.tearDown();
});

const CONFIG = { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', mounts: ['type=volume,target=/cache'] }) };


/** Spawns the project; its container's anonymous volume (the one at /cache). */
async function spawnWithCache(where: Where, dir: string): Promise<string> {
  const spawned = await fixture.spawn(where, dir);
  assert.equal(spawned.code, 0, spawned.stderr);
  const inspect = await inspectContainer(fixture.engine(where), spawned.outcome?.containerId ?? '');
  const cache = (inspect.Mounts ?? []).find((m) => m.Destination === '/cache')?.Name;
  assert.match(cache ?? '', /^[0-9a-f]{64}$/, 'the engine made an anonymous volume for /cache');
  return cache ?? '';
}

describe('rm and anonymous volumes', { concurrency: 2 }, () => {
  for (const where of ['local', 'r1'] as const) {
    it(`${where}: kept (and said so) without --volumes, removed with it`, { timeout: 300_000 }, async () => {
      const project = await fixture.project(where, CONFIG);
      const engine = fixture.engine(where);

      const first = await spawnWithCache(where, project.dir);
      keptVolumes.push({ where, name: first });
      const kept = await fixture.sandbox.run(['devcontainer', 'rm', project.name, '--force', '--yes', ...remoteArgs(where)]);
      assert.equal(kept.code, 0, kept.stderr);
      assert.ok(kept.stderr.includes(`Kept its anonymous volume (${first.slice(0, 12)}, from "mounts" without a source); --volumes removes them with the container.`), kept.stderr);
      assert.equal(await volumeExists(engine, first), true);

      const second = await spawnWithCache(where, project.dir);
      const removed = await fixture.sandbox.run(['devcontainer', 'rm', project.name, '--force', '--yes', '--volumes', ...remoteArgs(where)]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.ok(removed.stderr.includes(`Removed its anonymous volume (${second.slice(0, 12)}).`), removed.stderr);
      assert.equal(await volumeExists(engine, second), false, 'the anonymous volume went with the container');
      assert.equal(await volumeExists(engine, first), true, "another container's anonymous volume is left alone");
    });
  }
});
