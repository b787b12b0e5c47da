// `pks devcontainer prune` on the local engine and a remote host: a rebuild
// leaves the previous image behind; prune shows it (--dry-run removes
// nothing), removes it and nothing else — not the image in use, not images pks
// did not make — and with --volumes the workspace volume of a removed container.
// The sandbox runs as a user of its own: the other suites' images and
// volumes (and the user's own) are never candidates here.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PrunePlan, PruneResult } from '../../src/core/containers/prune.js';
import type { EngineClient } from '../../src/engine/index.js';
import { volumeExists } from '../integration/lifecycle-fixtures.js';
import { E2eFixture, remoteArgs } from '../helpers/e2e-fixture.js';

const fixture = new E2eFixture(['local', 'r1']);
before(async () => {
  await fixture.setUp();
  fixture.sandbox.env.USER = `pks-prune-${randomBytes(3).toString('hex')}`;
});
after(() => fixture.tearDown());

interface Report {
  dryRun: boolean;
  plan: PrunePlan;
  results: PruneResult[];
  reclaimable: number;
}

async function imageExists(engine: EngineClient, id: string): Promise<boolean> {
  return (await engine.requestEmpty({ method: 'GET', path: `/images/${id}/json`, okStatuses: [404] })) !== 404;
}


async function imageOf(engine: EngineClient, containerId: string): Promise<string> {
  const inspect = await engine.inspectContainer(containerId);
  return inspect.Image;
}

describe('prune', { concurrency: 2 }, () => {
  for (const where of ['local', 'r1'] as const) {
    it(`${where}: the image a rebuild left behind, then with --volumes a removed container's volume`, { timeout: 400_000 }, async () => {
      const engine = fixture.engine(where);
      const project = await fixture.project(where, {
        '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
        '.devcontainer/Dockerfile': 'FROM pks-test/busybox:latest\nRUN echo one > /version\n',
      });
      const pks = (...args: string[]) => fixture.sandbox.run(['devcontainer', ...args, ...remoteArgs(where)], { timeoutMs: 180_000 });
      const first = await fixture.spawn(where, project.dir);
      assert.equal(first.code, 0, first.stderr);
      const oldImage = await imageOf(engine, first.outcome?.containerId ?? '');
      await writeFile(path.join(project.dir, '.devcontainer', 'Dockerfile'), 'FROM pks-test/busybox:latest\nRUN echo two > /version\n');
      const second = await fixture.spawn(where, project.dir, ['--rebuild']);
      assert.equal(second.code, 0, second.stderr);
      const currentImage = await imageOf(engine, second.outcome?.containerId ?? '');
      assert.notEqual(currentImage, oldImage);

      const dry = await pks('prune', '--dry-run', '--format', 'json');
      assert.equal(dry.code, 0, dry.stderr);
      const planned = JSON.parse(dry.stdout) as Report;
      assert.equal(planned.dryRun, true);
      const ids = planned.plan.images.map((image) => image.id);
      assert.ok(ids.includes(oldImage), `the image the rebuild replaced is a candidate: ${dry.stdout}`);
      assert.ok(!ids.includes(currentImage), 'never the image in use');
      assert.ok(planned.reclaimable > 0);
      assert.deepEqual(planned.results, []);
      assert.equal(await imageExists(engine, oldImage), true, '--dry-run removes nothing');

      const noTerminal = await pks('prune');
      assert.equal(noTerminal.code, 2, 'without a terminal it asks for --yes');
      assert.match(noTerminal.stderr, /--yes/);

      const pruned = await pks('prune', '--yes');
      assert.equal(pruned.code, 0, pruned.stderr);
      assert.match(pruned.stderr, /✔ Removed \d+ of \d+ on /);
      assert.equal(await imageExists(engine, oldImage), false);
      assert.equal(await imageExists(engine, currentImage), true);
      assert.equal(await imageExists(engine, 'pks-test/busybox:latest'), true, 'an image pks did not make stays');
      assert.equal((await engine.inspectContainer(second.outcome?.containerId ?? '')).State.Running, true);

      const again = await pks('prune', '--dry-run', '--format', 'json');
      assert.deepEqual((JSON.parse(again.stdout) as Report).plan.images, [], 'nothing left to prune');

      const volume = second.outcome?.volumeName ?? '';
      assert.equal((await pks('rm', project.name, '--force', '--yes')).code, 0);
      assert.equal(await volumeExists(engine, volume), true);
      const withVolumes = await pks('prune', '--volumes', '--yes', '--format', 'json');
      assert.equal(withVolumes.code, 0, withVolumes.stderr);
      const report = JSON.parse(withVolumes.stdout) as Report;
      assert.deepEqual(report.plan.volumes.map((v) => v.name), [volume]);
      assert.ok(report.results.some((r) => r.kind === 'volume' && r.name === volume && r.action === 'removed'), withVolumes.stdout);
      assert.equal(await volumeExists(engine, volume), false);
      assert.equal(await imageExists(engine, currentImage), false, 'the image of the removed container went too');
    });
  }

  it('an engine with nothing of the user\'s says so', async () => {
    const result = await fixture.sandbox.run(['devcontainer', 'prune', '--dry-run'], { env: { USER: `pks-nobody-${randomBytes(3).toString('hex')}` } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Nothing to prune on the local engine \(--volumes also looks at unused workspace volumes\)\./);
  });
});

