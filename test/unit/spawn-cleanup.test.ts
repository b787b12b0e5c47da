// The clean-up after a failed spawn when the container create had no answer:
// the container is looked up by name, removed only if this run made it, and
// named in the message when the engine cannot say.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperationError } from '../../src/common/errors.js';
import { SPAWN_OWNER_LABEL, spawnOwner } from '../../src/core/spawn/existing.js';
import { cleanUpAfterFailure, describeAftermath } from '../../src/core/spawn/failure.js';
import type { EngineClient } from '../../src/engine/index.js';
import { EngineApiError } from '../../src/engine/engine-errors.js';

const NAME = 'pks-alice-api-1a2b3c4d';
const VOLUME = `${NAME}-workspace`;

/** An engine holding at most one container (`owner` its owner label), or one that cannot be reached. */
function fakeEngine(state: { owner?: string; unreachable?: boolean }): { engine: EngineClient; calls: string[] } {
  const calls: string[] = [];
  const unreachable = (): never => {
    throw new OperationError('E_ENGINE_CONNECTION', 'The connection to the engine failed: socket hang up.');
  };
  const notFound = (method: string, path: string): never => {
    throw new EngineApiError({ statusCode: 404, engineMessage: 'No such container', target: 'fake', method, path });
  };
  const engine = {
    request: (request: { path: string }, schema: { parse: (value: unknown) => unknown }) => {
      calls.push(`GET ${request.path}`);
      if (state.unreachable === true) unreachable();
      if (state.owner === undefined) notFound('GET', request.path);
      const inspect = {
        Id: 'c0ffee'.repeat(10),
        Name: `/${NAME}`,
        Created: new Date().toISOString(),
        Image: 'sha256:1',
        State: { Status: 'created', Running: false },
        Config: { Labels: { [SPAWN_OWNER_LABEL]: state.owner } },
      };
      return Promise.resolve(schema.parse(inspect));
    },
    requestEmpty: (request: { method?: string; path: string }) => {
      calls.push(`${request.method ?? 'GET'} ${request.path}`);
      if (state.unreachable === true) unreachable();
      return Promise.resolve();
    },
  } as unknown as EngineClient;
  return { engine, calls };
}

describe('clean-up after a container create with no answer', () => {
  it('removes the container the engine made for this run, found by its name, then the new volume', async () => {
    const { engine, calls } = fakeEngine({ owner: spawnOwner() });
    const aftermath = await cleanUpAfterFailure(engine, () => undefined, { name: NAME }, VOLUME);
    assert.deepEqual(calls, [`GET /containers/${NAME}/json`, `DELETE /containers/${'c0ffee'.repeat(10)}`, `DELETE /volumes/${VOLUME}`]);
    assert.equal(describeAftermath(aftermath, false).text, `The half-created container ${NAME} and its new volume ${VOLUME} were removed.`);
  });

  it('no container of that name: only the volume is removed', async () => {
    const { engine, calls } = fakeEngine({});
    const aftermath = await cleanUpAfterFailure(engine, () => undefined, { name: NAME }, VOLUME);
    assert.deepEqual(calls, [`GET /containers/${NAME}/json`, `DELETE /volumes/${VOLUME}`]);
    assert.equal(describeAftermath(aftermath, false).text, `Its new volume ${VOLUME} was removed.`);
  });

  it("another spawn's container of that name is left alone, and so is the volume it uses", async () => {
    const { engine, calls } = fakeEngine({ owner: 'elsewhere:1' });
    const aftermath = await cleanUpAfterFailure(engine, () => undefined, { name: NAME }, VOLUME);
    assert.deepEqual(calls, [`GET /containers/${NAME}/json`]);
    assert.deepEqual(aftermath, { stage: 'nothing' });
  });

  it('the engine out of reach: the message names the container that may exist, and the volume', async () => {
    const { engine } = fakeEngine({ unreachable: true });
    const aftermath = await cleanUpAfterFailure(engine, () => undefined, { name: NAME }, VOLUME);
    const { text, resumable } = describeAftermath(aftermath, false);
    assert.ok(resumable);
    assert.match(text, new RegExp(`^The container ${NAME} \\(if the engine created it before the connection broke\\) and its new volume ${VOLUME} could not be removed \\(The connection to the engine failed: socket hang up\\): run the same command again to resume\\.$`));
  });
});
