// hostRequirements.gpu: the decision against the engine's runtimes, the
// device request in the create body, and the early failure in the
// prerequisites (before anything is built).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { buildContainerSpec } from '../../src/core/spawn/container-spec.js';
import { decideGpus, engineHasGpus } from '../../src/core/spawn/gpu.js';
import { checkPrerequisites } from '../../src/core/spawn/prerequisites.js';
import { mergeConfiguration } from '../../src/devcontainer/merge.js';
import type { MergedDevcontainerConfig } from '../../src/devcontainer/index.js';
import { FakeEngine } from '../helpers/fake-engine.js';

const WITH_GPUS = { Runtimes: { runc: { path: 'runc' }, nvidia: { path: 'nvidia-container-runtime' } } };
const WITHOUT = { Runtimes: { runc: { path: 'runc' }, 'io.containerd.runc.v2': { path: 'runc' } } };
const WHERE = 'remote host "r1"';

function expectUnavailable(error: unknown): boolean {
  assert.ok(isPksError(error));
  assert.equal(error.code, 'E_GPU_UNAVAILABLE');
  assert.equal(error.exitCode, 1);
  assert.match(error.message, /requires a GPU.*remote host "r1" has no GPU runtime/);
  assert.match(error.hint ?? '', /--remote <id>.*"optional"/);
  return true;
}

describe('hostRequirements.gpu: does the engine have GPUs', () => {
  it('the NVIDIA runtime (by name or by path) means GPUs; runc alone or no Runtimes does not', () => {
    assert.equal(engineHasGpus(WITH_GPUS), true);
    assert.equal(engineHasGpus({ Runtimes: { gpu: { path: '/usr/bin/nvidia-container-runtime' } } }), true);
    assert.equal(engineHasGpus(WITHOUT), false);
    assert.equal(engineHasGpus({}), false);
    assert.equal(engineHasGpus({ Runtimes: null }), false);
  });
});

describe('hostRequirements.gpu: the decision', () => {
  it('true: all GPUs where there are some, else E_GPU_UNAVAILABLE', () => {
    assert.deepEqual(decideGpus(true, WITH_GPUS, WHERE), { request: true, warnings: [] });
    assert.throws(() => decideGpus(true, WITHOUT, WHERE), expectUnavailable);
  });

  it('"optional": all GPUs where there are some, else none with a warning', () => {
    assert.deepEqual(decideGpus('optional', WITH_GPUS, WHERE), { request: true, warnings: [] });
    const without = decideGpus('optional', WITHOUT, WHERE);
    assert.equal(without.request, false);
    assert.deepEqual(without.warnings, ['hostRequirements.gpu is "optional" and remote host "r1" has no GPU runtime (NVIDIA): the container runs without GPUs.']);
  });

  it('the object form: as true, with a warning that cores and memory are not checked', () => {
    const decided = decideGpus({ cores: 2, memory: '8gb' }, WITH_GPUS, WHERE);
    assert.equal(decided.request, true);
    assert.deepEqual(decided.warnings, ['hostRequirements.gpu asks for 2 cores and 8gb of GPU memory; pks cannot check that on remote host "r1" and requests all its GPUs.']);
    assert.throws(() => decideGpus({ cores: 2 }, WITHOUT, WHERE), expectUnavailable);
  });

  it('false or absent: nothing, whatever the engine has', () => {
    assert.deepEqual(decideGpus(false, WITH_GPUS, WHERE), { request: false, warnings: [] });
    assert.deepEqual(decideGpus(undefined, WITHOUT, WHERE), { request: false, warnings: [] });
  });
});

describe('hostRequirements.gpu: the create body', () => {
  const spec = (gpus: boolean | undefined) =>
    buildContainerSpec({
      imageName: 'img',
      merged: mergeConfiguration({}, []),
      labels: {},
      volumeName: 'vol',
      volumeMountPoint: '/workspaces',
      workspaceFolder: '/workspaces/p',
      remote: false,
      overrideCommandDefault: true,
      gpus,
    }).body.HostConfig as Record<string, unknown>;

  it('requests every GPU as `--gpus all` does', () => {
    assert.deepEqual(spec(true).DeviceRequests, [{ Driver: '', Count: -1, Capabilities: [['gpu']] }]);
  });

  it('sends no device request otherwise', () => {
    assert.equal('DeviceRequests' in spec(false), false);
    assert.equal('DeviceRequests' in spec(undefined), false);
  });
});

describe('hostRequirements.gpu: the prerequisites', () => {
  const engine = (runtimes: Record<string, unknown>) => {
    const fake = new FakeEngine();
    fake.engineInfo = { ...fake.engineInfo, ...runtimes };
    return fake;
  };
  const merged = (gpu: unknown) => ({ hostRequirements: { gpu } }) as unknown as MergedDevcontainerConfig;

  it('a required GPU on an engine without fails before anything is built', async () => {
    await assert.rejects(checkPrerequisites(engine(WITHOUT), merged(true), { workspaceBytes: 0, where: WHERE }), expectUnavailable);
  });

  it('"optional" passes (its warning comes with the container)', async () => {
    await checkPrerequisites(engine(WITHOUT), merged('optional'), { workspaceBytes: 0, where: WHERE });
    await checkPrerequisites(engine(WITH_GPUS), merged(true), { workspaceBytes: 0, where: WHERE });
  });
});
