// Core use cases against the in-memory engine: lifecycle (stop, start with
// its postStartCommand, rm with and without the volume), discovery, the
// running execs, the upload marker round trip; and the fake's own failure
// and delay injection. No engine, no network: milliseconds each.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { inspectContainer } from '../../src/core/containers/container-info.js';
import { listDevcontainers } from '../../src/core/containers/discovery.js';
import { LABELS } from '../../src/core/containers/labels.js';
import { removeDevcontainer, restartDevcontainer, startDevcontainer, stopDevcontainer } from '../../src/core/containers/lifecycle.js';
import { runningExecs } from '../../src/core/containers/running-execs.js';
import { readUploadMarker, writeUploadMarker } from '../../src/core/spawn/volume.js';
import { isEngineApiError } from '../../src/engine/index.js';
import { addDevcontainer, type FakeDevcontainerOptions } from '../helpers/fake-devcontainer.js';
import { FakeEngine, connectionLost, engineError } from '../helpers/fake-engine.js';
import { withExitReport, statusFileFor } from '../../src/core/containers/exit-report.js';

const VOLUME = 'pks-alice-app-workspace';

/** A managed dev container of project `project` with its workspace volume. */
const devcontainer = (engine: FakeEngine, name: string, options: FakeDevcontainerOptions = {}) => addDevcontainer(engine, name, { ...options, volume: true });

describe('lifecycle against the fake engine', () => {
  it('stop and start say when nothing changed; a start runs postStartCommand, an idle start does not', async () => {
    const engine = new FakeEngine();
    const container = devcontainer(engine, 'pks-alice-app', { postStart: 'echo started' });
    assert.equal(await stopDevcontainer(engine, container.id, { timeoutSeconds: 1 }), 'stopped');
    assert.equal(container.state, 'exited');
    assert.equal(await stopDevcontainer(engine, container.id), 'already-stopped');

    assert.equal(await startDevcontainer(engine, container.id), 'started');
    assert.equal(container.state, 'running');
    // The string hook in a shell that reports its exit code (exit-report.ts).
    assert.deepEqual([...engine.execs.values()].map((exec) => exec.cmd), [withExitReport(['/bin/sh', '-c', 'echo started'], statusFileFor('postStartCommand', ['/bin/sh', '-c', 'echo started']))]);
    assert.equal(await startDevcontainer(engine, container.id), 'already-running');
    assert.equal(engine.execs.size, 1);

    await restartDevcontainer(engine, container.id);
    assert.equal(engine.execs.size, 2);
  });

  it('a failing postStartCommand fails the start with its exit code, the container left running', async () => {
    const engine = new FakeEngine();
    const container = devcontainer(engine, 'pks-alice-app', { state: 'exited', postStart: 'exit 3' });
    engine.execBehaviour = () => ({ stderr: 'no\n', exitCode: 3 });
    await assert.rejects(startDevcontainer(engine, container.id), (error: unknown) => isPksError(error) && /postStartCommand/.test(error.message));
    assert.equal(container.state, 'running');
  });

  it('rm refuses a running container without force, and removes the volume only when asked', async () => {
    const engine = new FakeEngine();
    const container = devcontainer(engine, 'pks-alice-app');
    const inspect = await inspectContainer(engine, container.id);
    await assert.rejects(removeDevcontainer(engine, inspect, {}), { code: 'E_CONTAINER_RUNNING' });
    assert.equal(engine.callCount('removeContainer'), 0);

    assert.deepEqual(await removeDevcontainer(engine, inspect, { force: true }), {
      container: 'pks-alice-app',
      containerId: container.id,
      volume: { name: 'pks-alice-app-workspace', action: 'kept' },
    });
    assert.equal(engine.containers.size, 0);
    assert.ok(engine.volumes.has('pks-alice-app-workspace'));
  });

  it('rm --volumes: removed, already missing, or still in use by another container', async () => {
    const engine = new FakeEngine();
    const one = await inspectContainer(engine, devcontainer(engine, 'pks-one', { state: 'exited' }).id);
    assert.deepEqual((await removeDevcontainer(engine, one, { volumes: true })).volume, { name: 'pks-one-workspace', action: 'removed' });
    assert.equal(engine.volumes.size, 0);

    const two = await inspectContainer(engine, devcontainer(engine, 'pks-two', { state: 'exited' }).id);
    engine.volumes.delete('pks-two-workspace');
    assert.deepEqual((await removeDevcontainer(engine, two, { volumes: true })).volume, { name: 'pks-two-workspace', action: 'missing' });

    const three = await inspectContainer(engine, devcontainer(engine, 'pks-three', { state: 'exited' }).id);
    engine.addContainer({ name: 'sharing', mounts: [{ type: 'volume', name: 'pks-three-workspace', destination: '/data' }] });
    const outcome = (await removeDevcontainer(engine, three, { volumes: true })).volume;
    assert.equal(outcome?.action, 'in-use');
    assert.ok(engine.volumes.has('pks-three-workspace'));
  });

  it('an engine error other than missing or in use is not taken for an outcome', async () => {
    const engine = new FakeEngine();
    const inspect = await inspectContainer(engine, devcontainer(engine, 'pks-one', { state: 'exited' }).id);
    engine.failOn('removeVolume', engineError(500, 'disk on fire'));
    await assert.rejects(removeDevcontainer(engine, inspect, { volumes: true }), (error: unknown) => isEngineApiError(error, 500));
  });
});

describe('discovery against the fake engine', () => {
  it('lists managed containers by project, running ones unless all, foreign ones only when asked', async () => {
    const engine = new FakeEngine();
    devcontainer(engine, 'pks-b', { project: 'beta' });
    devcontainer(engine, 'pks-a', { project: 'alpha', state: 'exited' });
    engine.addContainer({ name: 'vsc-foreign', labels: { [LABELS.localFolder]: '/home/alice/foreign' } });
    engine.addContainer({ name: 'unrelated' });

    assert.deepEqual((await listDevcontainers(engine, 'local')).map((c) => c.name), ['pks-b']);
    const all = await listDevcontainers(engine, 'local', { all: true });
    assert.deepEqual(all.map((c) => [c.project, c.name, c.status, c.volume]), [
      ['alpha', 'pks-a', 'exited', 'pks-a-workspace'],
      ['beta', 'pks-b', 'running', 'pks-b-workspace'],
    ]);
    const withForeign = await listDevcontainers(engine, 'local', { all: true, includeForeign: true });
    assert.deepEqual(withForeign.map((c) => [c.name, c.foreign]), [['pks-a', false], ['pks-b', false], ['vsc-foreign', true]]);
  });

  it('a list that fails on the second call of the engine reports the engine error', async () => {
    const engine = new FakeEngine();
    devcontainer(engine, 'pks-a');
    engine.failOn('listContainers', connectionLost(), { onCall: 2 });
    assert.equal((await listDevcontainers(engine, 'local')).length, 1);
    await assert.rejects(listDevcontainers(engine, 'local'), { code: 'E_ENGINE_CONNECTION' });
    assert.equal((await listDevcontainers(engine, 'local')).length, 1);
  });
});

describe('container state read back through the fake engine', () => {
  it('running execs: only those still running, with their command lines', async () => {
    const engine = new FakeEngine();
    const container = devcontainer(engine, 'pks-a');
    engine.execs.set('e1', { id: 'e1', containerId: container.id, cmd: ['/bin/sh', '-c', 'npm install'], tty: false, running: true, exitCode: null, stdin: '' });
    engine.execs.set('e2', { id: 'e2', containerId: container.id, cmd: ['true'], tty: false, running: false, exitCode: 0, stdin: '' });
    assert.deepEqual(await runningExecs(engine, container.id), [{ id: 'e1', argv: ['/bin/sh', '-c', 'npm install'] }]);
  });

  it('the upload marker written through putArchive reads back through getArchive', async () => {
    const engine = new FakeEngine();
    const container = devcontainer(engine, 'pks-a', { state: 'created' });
    const layout = { root: '/workspaces/app', mountPoint: '/workspaces' };
    assert.equal(await readUploadMarker(engine, container.id, layout), undefined);
    await writeUploadMarker(engine, container.id, layout, { '.devcontainer/devcontainer.json': 'ab12' });
    assert.deepEqual(await readUploadMarker(engine, container.id, layout), { configFiles: { '.devcontainer/devcontainer.json': 'ab12' } });
    // Written through to the volume, where a new container on it finds it.
    assert.ok(engine.volumes.get('pks-a-workspace')?.files.has('.pks-uploads/app'));
    assert.equal(container.files.size, 0);
  });
});

describe('the fake engine itself', () => {
  it('fails an operation on its Nth call only, and delays the calls asked', async () => {
    const engine = new FakeEngine();
    engine.addVolume(VOLUME);
    engine.failOn('inspectVolume', engineError(503, 'busy'), { onCall: 2 });
    await engine.inspectVolume(VOLUME);
    await assert.rejects(engine.inspectVolume(VOLUME), (error: unknown) => isEngineApiError(error, 503));
    await engine.inspectVolume(VOLUME);
    assert.equal(engine.callCount('inspectVolume'), 3);

    engine.delay('listVolumes', 30);
    const started = Date.now();
    assert.deepEqual((await engine.listVolumes()).map((v) => v.Name), [VOLUME]);
    assert.ok(Date.now() - started >= 25);
  });

  it('answers as the engine does: 404 for the missing, 409 for a taken name, no raw HTTP', async () => {
    const engine = new FakeEngine();
    engine.addImage('img:1');
    await engine.createContainer('c', { Image: 'img:1' });
    await assert.rejects(engine.createContainer('c', { Image: 'img:1' }), (error: unknown) => isEngineApiError(error, 409));
    await assert.rejects(engine.createContainer('d', { Image: 'absent' }), (error: unknown) => isEngineApiError(error, 404));
    await assert.rejects(engine.inspectContainer('nope'), (error: unknown) => isEngineApiError(error, 404));
    await engine.removeContainer('nope', { missingOk: true });
    await assert.rejects(engine.requestEmpty(), { code: 'E_INTERNAL', message: /speaks only the typed operations/ });
  });
});
