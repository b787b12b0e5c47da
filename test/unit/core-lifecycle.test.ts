// The lifecycle commands' core against the in-memory engine, branch by
// branch: finding the container they act on (by name, ID prefix or the
// current folder; not found; ambiguous, with and without a picker; a
// container pks did not create), then stop, start, restart and rm on a
// running, stopped or missing container, with and without --force and
// --volumes. The CLI only renders what these return.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { inspectContainer } from '../../src/core/containers/container-info.js';
import { findDevcontainer, type FindOptions } from '../../src/core/containers/discovery.js';
import { LABELS } from '../../src/core/containers/labels.js';
import { removeDevcontainer, restartDevcontainer, startDevcontainer, stopDevcontainer, workspaceVolumeOf } from '../../src/core/containers/lifecycle.js';
import { isEngineApiError } from '../../src/engine/index.js';
import { addDevcontainer } from '../helpers/fake-devcontainer.js';
import { FakeEngine } from '../helpers/fake-engine.js';
import { withExitReport, statusFileFor } from '../../src/core/containers/exit-report.js';

const find = (engine: FakeEngine, options: Partial<FindOptions>) =>
  findDevcontainer(engine, { query: undefined, cwd: '/home/alice', host: 'local', where: 'the local engine', remoteFlag: '', user: 'alice', ...options });

const rejectsWith = async (work: Promise<unknown>, code: string, message: RegExp): Promise<void> => {
  await assert.rejects(work, (error: unknown) => isPksError(error) && error.code === code && message.test(error.message));
};

describe('finding the container a lifecycle command acts on', () => {
  it('by container name, by project name, by ID prefix, by the current folder', async () => {
    const engine = new FakeEngine();
    const api = addDevcontainer(engine, 'pks-alice-api-1', { project: 'api' });
    addDevcontainer(engine, 'pks-alice-web-1', { project: 'web', state: 'exited' });
    assert.equal((await find(engine, { query: 'pks-alice-api-1' })).container.containerId, api.id);
    assert.equal((await find(engine, { query: 'api' })).container.containerId, api.id);
    assert.equal((await find(engine, { query: api.id.slice(0, 12) })).container.containerId, api.id);
    assert.equal((await find(engine, { cwd: '/home/alice/api/src' })).container.containerId, api.id);
    // Stopped ones count too: start acts on them.
    assert.equal((await find(engine, { query: 'web' })).container.status, 'exited');
  });

  it('not found: by name and by folder, with what was looked at and where to look next', async () => {
    const engine = new FakeEngine();
    addDevcontainer(engine, 'pks-alice-api-1', { project: 'api' });
    await rejectsWith(find(engine, { query: 'nope' }), 'E_CONTAINER_NOT_FOUND', /^No dev container matches "nope" on the local engine \(looked at the project names, container names and IDs of 1 pks-managed container\)\.$/);
    await rejectsWith(find(engine, { cwd: '/tmp' }), 'E_CONTAINER_NOT_FOUND', /^No dev container was spawned from the current folder \(\/tmp\) on the local engine/);
    await assert.rejects(find(engine, { query: 'nope', remoteFlag: ' --remote r1' }), (error: unknown) => isPksError(error) && error.hint === 'See what there is: pks devcontainer list --all --remote r1');
  });

  it('ambiguous: an error naming each candidate, or the picker when there is one', async () => {
    const engine = new FakeEngine();
    const one = addDevcontainer(engine, 'pks-alice-app-1', { project: 'app', path: '/home/alice/app' });
    const two = addDevcontainer(engine, 'pks-alice-app-2', { project: 'app', path: '/srv/app' });
    await assert.rejects(find(engine, { query: 'app' }), (error: unknown) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_AMBIGUOUS_CONTAINER');
      assert.equal(error.message, '2 dev containers on the local engine match "app".');
      assert.match(error.hint ?? '', /pks-alice-app-1/);
      assert.match(error.hint ?? '', /pks-alice-app-2/);
      return true;
    });
    const asked: string[] = [];
    const found = await find(engine, {
      query: 'app',
      choose: async (candidates, question) => {
        asked.push(question);
        return candidates.find((c) => c.containerId === two.id) ?? assert.fail('not a candidate');
      },
    });
    assert.equal(found.container.containerId, two.id);
    assert.deepEqual(asked, ['2 dev containers on the local engine match "app". Which one?']);
    assert.notEqual(one.id, two.id);
  });

  it("another user's container of the same project does not make the user's own ambiguous", async () => {
    const engine = new FakeEngine();
    const mine = addDevcontainer(engine, 'pks-alice-app-1', { project: 'app' });
    addDevcontainer(engine, 'pks-bob-app-1', { project: 'app', user: 'bob' });
    assert.equal((await find(engine, { query: 'app' })).container.containerId, mine.id);
  });

  it('a container VS Code made is named as such, not as missing', async () => {
    const engine = new FakeEngine();
    engine.addContainer({ name: 'vsc-app-123', labels: { [LABELS.localFolder]: '/home/alice/app' } });
    await rejectsWith(find(engine, { query: 'vsc-app-123' }), 'E_FOREIGN_CONTAINER', /is a dev container pks did not create/);
    await rejectsWith(find(engine, { cwd: '/home/alice/app' }), 'E_FOREIGN_CONTAINER', /^vsc-app-123 /);
  });
});

describe('stop, start, restart, rm: each branch', () => {
  it('stop: running, already stopped, never started, missing', async () => {
    const engine = new FakeEngine();
    const running = addDevcontainer(engine, 'a');
    const created = addDevcontainer(engine, 'b', { state: 'created' });
    assert.equal(await stopDevcontainer(engine, running.id), 'stopped');
    assert.equal(running.state, 'exited');
    assert.equal(await stopDevcontainer(engine, running.id), 'already-stopped');
    assert.equal(await stopDevcontainer(engine, created.id), 'already-stopped');
    assert.equal(created.state, 'created');
    await assert.rejects(stopDevcontainer(engine, 'gone'), (error: unknown) => isEngineApiError(error, 404));
  });

  it('start: a stopped one starts and runs postStartCommand as its remote user; a missing one is a 404 and runs nothing', async () => {
    const engine = new FakeEngine();
    const stopped = addDevcontainer(engine, 'a', { state: 'exited', postStart: 'echo hi' });
    const events: string[] = [];
    assert.equal(await startDevcontainer(engine, stopped.id, { onEvent: (event) => events.push(event.type) }), 'started');
    // The string hook in a shell that reports its exit code (exit-report.ts).
    assert.deepEqual([...engine.execs.values()].map((exec) => exec.cmd), [withExitReport(['/bin/sh', '-c', 'echo hi'], statusFileFor('postStartCommand', ['/bin/sh', '-c', 'echo hi']))]);
    assert.ok(events.includes('hook-start'));
    await assert.rejects(startDevcontainer(engine, 'gone'), (error: unknown) => isEngineApiError(error, 404));
    assert.equal(engine.execs.size, 1);
  });

  it('start without a postStartCommand runs no exec', async () => {
    const engine = new FakeEngine();
    const stopped = addDevcontainer(engine, 'a', { state: 'exited' });
    assert.equal(await startDevcontainer(engine, stopped.id), 'started');
    assert.equal(engine.callCount('createExec'), 0);
  });

  it('restart: a stopped container is started, and postStartCommand runs; a failing one fails the restart with the hook named', async () => {
    const engine = new FakeEngine();
    const stopped = addDevcontainer(engine, 'a', { state: 'exited', postStart: 'exit 4' });
    engine.execBehaviour = () => ({ exitCode: 4 });
    await assert.rejects(restartDevcontainer(engine, stopped.id, { remoteFlag: ' --remote r1' }), (error: unknown) => isPksError(error) && /postStartCommand/.test(error.message));
    assert.equal(stopped.state, 'running');
    await assert.rejects(restartDevcontainer(engine, 'gone'), (error: unknown) => isEngineApiError(error, 404));
  });

  it('rm: a stopped one without --force; a running one only with it; no volume to report when it had none', async () => {
    const engine = new FakeEngine();
    const stopped = await inspectContainer(engine, addDevcontainer(engine, 'a', { state: 'exited' }).id);
    assert.deepEqual(await removeDevcontainer(engine, stopped, {}), { container: 'a', containerId: stopped.Id });
    assert.deepEqual(engine.calls.filter((call) => call.startsWith('removeContainer')), [`removeContainer ${stopped.Id}`]);
    const running = await inspectContainer(engine, addDevcontainer(engine, 'b').id);
    await rejectsWith(removeDevcontainer(engine, running, { volumes: true }), 'E_CONTAINER_RUNNING', /^b is running; pks removes a running container only with --force\.$/);
    assert.equal(engine.containers.size, 1);
    assert.deepEqual(await removeDevcontainer(engine, running, { force: true, volumes: true }), { container: 'b', containerId: running.Id });
    assert.equal(engine.containers.size, 0);
  });

  it('rm: the workspace volume is the one spawn recorded, else the volume mounted at /workspaces', async () => {
    const engine = new FakeEngine();
    engine.addVolume('vol-mounted');
    const unlabelled = engine.addContainer({ name: 'c', state: 'exited', mounts: [{ type: 'volume', name: 'vol-mounted', destination: '/workspaces' }, { type: 'volume', name: 'cache', destination: '/cache' }] });
    const inspect = await inspectContainer(engine, unlabelled.id);
    assert.equal(workspaceVolumeOf(inspect), 'vol-mounted');
    assert.deepEqual((await removeDevcontainer(engine, inspect, { volumes: true })).volume, { name: 'vol-mounted', action: 'removed' });
    assert.equal(engine.volumes.has('vol-mounted'), false);
  });

  it('rm of a container that is already gone is the engine\'s 404', async () => {
    const engine = new FakeEngine();
    const inspect = await inspectContainer(engine, addDevcontainer(engine, 'a', { state: 'exited' }).id);
    engine.containers.clear();
    await assert.rejects(removeDevcontainer(engine, inspect, {}), (error: unknown) => isEngineApiError(error, 404));
  });
});
