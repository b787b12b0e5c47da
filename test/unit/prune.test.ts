// `pks devcontainer prune`: which images and volumes are candidates (the
// user's own, made by pks, used by nothing), on the fake engine.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LABELS } from '../../src/core/containers/labels.js';
import { executePrune, planPrune } from '../../src/core/containers/prune.js';
import { FakeEngine } from '../helpers/fake-engine.js';

const own = { [LABELS.managed]: 'true', [LABELS.spawnedBy]: 'alice' };
const bobs = { [LABELS.managed]: 'true', [LABELS.spawnedBy]: 'bob' };

/** An engine with alice's and bob's images in the states prune tells apart. */
function world() {
  const engine = new FakeEngine();
  const base = engine.addImage('base-of-current', { labels: own, created: 10, size: 100 });
  base.tags = [];
  const current = engine.addImage('pks-app-1234:latest', { labels: own, created: 20, size: 200, parent: base.id });
  const stale = engine.addImage('stale-final', { labels: own, created: 15, size: 300 });
  stale.tags = []; // left untagged by a rebuild
  const staleBase = engine.addImage('stale-base', { labels: own, created: 5, size: 50 });
  staleBase.tags = [];
  stale.parent = staleBase.id;
  const forStopped = engine.addImage('pks-old-5678:latest', { labels: own, created: 3, size: 10 });
  const bobsUnused = engine.addImage('pks-bob-9:latest', { labels: bobs, created: 30, size: 10 });
  const notPks = engine.addImage('debian:bookworm', { created: 1, size: 10 });
  const userBuiltOnPks = engine.addImage('mine:latest', { created: 40, size: 10 });
  const pksUnderUsers = engine.addImage('pks-under-mine', { labels: own, created: 2, size: 10 });
  pksUnderUsers.tags = [];
  userBuiltOnPks.parent = pksUnderUsers.id;
  engine.addContainer({ name: 'app', image: 'pks-app-1234:latest', state: 'running', labels: own });
  engine.addContainer({ name: 'old', image: 'pks-old-5678:latest', state: 'exited', labels: own });
  engine.addVolume('pks-app-ws', { ...own, [LABELS.projectName]: 'app' }).size = 4096;
  engine.addVolume('pks-gone-ws', { ...own, [LABELS.projectName]: 'gone' }).size = 8192;
  engine.addVolume('pks-bobs-ws', { ...bobs, [LABELS.projectName]: 'bobs' });
  engine.addVolume('not-pks');
  engine.addContainer({ name: 'app-user', image: 'pks-app-1234:latest', state: 'running', labels: own, mounts: [{ type: 'volume', name: 'pks-app-ws', destination: '/workspaces' }] });
  return { engine, ids: { base, current, stale, staleBase, forStopped, bobsUnused, notPks, pksUnderUsers } };
}

describe('prune', () => {
  it("plans the user's own pks images that no container uses (nor any image above them), newest first", async () => {
    const { engine, ids } = world();
    const plan = await planPrune(engine, { owner: 'alice', volumes: false });
    assert.deepEqual(
      plan.images.map((image) => image.id),
      [ids.stale.id, ids.staleBase.id],
      'not the image in use nor its base, not one a stopped container uses, not bob\'s, not one pks did not make, not one a user image is built on',
    );
    assert.deepEqual(plan.images.map((image) => image.size), [300, 50]);
    assert.deepEqual(plan.volumes, [], 'volumes only with --volumes');
  });

  it("with volumes: the user's own workspace volumes that no container mounts, with their sizes", async () => {
    const { engine } = world();
    const plan = await planPrune(engine, { owner: 'alice', volumes: true });
    assert.deepEqual(plan.volumes, [{ name: 'pks-gone-ws', project: 'gone', size: 8192 }]);
  });

  it('removes child before parent, and reports what went, what was gone and what is in use now', async () => {
    const { engine, ids } = world();
    const plan = await planPrune(engine, { owner: 'alice', volumes: true });
    // Between the plan and the removal: one image is gone already, a container started using the volume.
    await engine.removeImage(ids.staleBase.id);
    engine.addContainer({ name: 'late', image: 'debian:bookworm', mounts: [{ type: 'volume', name: 'pks-gone-ws', destination: '/w' }] });
    const results = await executePrune(engine, plan);
    assert.deepEqual(
      results.map((r) => `${r.kind} ${r.name} ${r.action}`),
      [`image ${ids.stale.id} removed`, `image ${ids.staleBase.id} missing`, 'volume pks-gone-ws in-use'],
    );
    const left = (await engine.listImages()).map((image) => image.Id);
    assert.ok(left.includes(ids.current.id) && left.includes(ids.base.id) && left.includes(ids.bobsUnused.id) && left.includes(ids.notPks.id));
  });
});
