// The clean-up after a failed spawn, against the in-memory engine: when the
// container create had no answer, the container is looked up by name,
// removed only if this run made it, and named in the message when the engine
// cannot say; a volume still in use is never tried; what the steps registered
// is undone last first, and not at all once the container is kept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SPAWN_OWNER_LABEL, spawnOwner } from '../../src/core/spawn/existing.js';
import { SpawnCleanup, undoContainer, undoVolume } from '../../src/core/spawn/cleanup.js';
import type { SpawnAftermath } from '../../src/core/spawn/failure.js';
import { describeAftermath } from '../../src/core/spawn/failure.js';
import { FakeEngine, connectionLost } from '../helpers/fake-engine.js';

const NAME = 'pks-alice-api-1a2b3c4d';
const VOLUME = `${NAME}-workspace`;

/** An engine holding this project's volume and, when `owner` is given, a created container of that owner using it. */
function engineWith(owner?: string): FakeEngine {
  const engine = new FakeEngine();
  engine.addVolume(VOLUME);
  if (owner !== undefined) {
    engine.addContainer({ name: NAME, state: 'created', labels: { [SPAWN_OWNER_LABEL]: owner }, mounts: [{ type: 'volume', name: VOLUME, destination: '/workspaces' }] });
  }
  return engine;
}

/** What spawn registers, in its order (the volume, then the container), undone after a failure. */
async function cleanUpAfterFailure(engine: FakeEngine, emit: () => void, created: { id?: string; name: string }, volumeName: string): Promise<SpawnAftermath> {
  const cleanup = new SpawnCleanup();
  cleanup.onFailure(undoVolume(volumeName));
  cleanup.onFailure(undoContainer(created));
  return cleanup.unwind(engine, emit);
}

describe('clean-up after a container create with no answer', () => {
  it('removes the container the engine made for this run, found by its name, then the new volume', async () => {
    const engine = engineWith(spawnOwner());
    const id = engine.container(NAME).id;
    const aftermath = await cleanUpAfterFailure(engine, () => undefined, { name: NAME }, VOLUME);
    assert.deepEqual(engine.calls, [`inspectContainer ${NAME}`, `removeContainer ${id}`, `removeVolume ${VOLUME}`]);
    assert.equal(engine.containers.size, 0);
    assert.equal(engine.volumes.size, 0);
    assert.equal(describeAftermath(aftermath, false).text, `The half-created container ${NAME} and its new volume ${VOLUME} were removed.`);
  });

  it('no container of that name: only the volume is removed', async () => {
    const engine = engineWith();
    const aftermath = await cleanUpAfterFailure(engine, () => undefined, { name: NAME }, VOLUME);
    assert.deepEqual(engine.calls, [`inspectContainer ${NAME}`, `removeVolume ${VOLUME}`]);
    assert.equal(engine.volumes.size, 0);
    assert.equal(describeAftermath(aftermath, false).text, `Its new volume ${VOLUME} was removed.`);
  });

  it("another spawn's container of that name is left alone, and so is the volume it uses", async () => {
    const engine = engineWith('elsewhere:1');
    const aftermath = await cleanUpAfterFailure(engine, () => undefined, { name: NAME }, VOLUME);
    assert.deepEqual(engine.calls, [`inspectContainer ${NAME}`]);
    assert.equal(engine.containers.size, 1);
    assert.ok(engine.volumes.has(VOLUME));
    assert.deepEqual(aftermath, { stage: 'nothing' });
  });

  it('the engine out of reach: the message names the container that may exist, and the volume', async () => {
    const engine = engineWith(spawnOwner()).failOn('inspectContainer', connectionLost());
    const aftermath = await cleanUpAfterFailure(engine, () => undefined, { name: NAME }, VOLUME);
    assert.equal(engine.callCount('removeVolume'), 0);
    const { text, resumable } = describeAftermath(aftermath, false);
    assert.ok(resumable);
    assert.match(text, new RegExp(`^The container ${NAME} \\(if the engine created it before the connection broke\\) and its new volume ${VOLUME} could not be removed \\(The connection to the engine failed: socket hang up\\): run the same command again to resume\\.$`));
  });

  it('a container whose removal fails keeps its volume, which is not tried, and both are named', async () => {
    const engine = engineWith(spawnOwner());
    const id = engine.container(NAME).id;
    engine.failOn('removeContainer', connectionLost());
    const aftermath = await cleanUpAfterFailure(engine, () => undefined, { id, name: NAME }, VOLUME);
    assert.deepEqual(engine.calls, [`removeContainer ${id}`]);
    assert.deepEqual(aftermath, {
      stage: 'cleaned',
      removed: [],
      notRemoved: [`the half-created container ${NAME}`, `its new volume ${VOLUME}`],
      reason: 'The connection to the engine failed: socket hang up',
    });
  });
});

describe('the clean-up each step registers', () => {
  it('nothing registered: nothing is left, and nothing is asked of the engine', async () => {
    const engine = engineWith(spawnOwner());
    assert.deepEqual(await new SpawnCleanup().unwind(engine, () => undefined), { stage: 'nothing' });
    assert.deepEqual(engine.calls, []);
  });

  it('once the container is kept, what was registered before is not undone and the failure leaves the container', async () => {
    const engine = engineWith(spawnOwner());
    const id = engine.container(NAME).id;
    const cleanup = new SpawnCleanup();
    cleanup.onFailure(undoVolume(VOLUME));
    cleanup.onFailure(undoContainer({ id, name: NAME }));
    cleanup.keep({ stage: 'ready', container: NAME, pending: 'hooks' });
    assert.deepEqual(await cleanup.unwind(engine, () => undefined), { stage: 'ready', container: NAME, pending: 'hooks' });
    assert.deepEqual(engine.calls, []);
    assert.equal(engine.containers.size, 1);
  });

  it('undoes the last registered first, and says so in one notice', async () => {
    const engine = engineWith(spawnOwner());
    const id = engine.container(NAME).id;
    const notices: string[] = [];
    const cleanup = new SpawnCleanup();
    cleanup.onFailure(undoVolume(VOLUME));
    cleanup.onFailure(undoContainer({ id, name: NAME }));
    await cleanup.unwind(engine, (event) => {
      if (event.type === 'info') notices.push(event.message);
    });
    assert.deepEqual(engine.calls, [`removeContainer ${id}`, `removeVolume ${VOLUME}`]);
    assert.deepEqual(notices, [`Cleaned up what this run created: container ${id.slice(0, 12)}, volume ${VOLUME}.`]);
  });
});
