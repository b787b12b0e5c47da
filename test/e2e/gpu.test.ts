// hostRequirements.gpu against the test engines, which have no GPU runtime:
// "optional" spawns without GPUs and says so; true fails before anything is
// built or created, with its code and the way out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspectContainer } from '../../src/core/containers/container-info.js';
import { E2eFixture } from '../helpers/e2e-fixture.js';
import { STACK_TRACE } from '../helpers/pks-cli.js';
import { leftovers } from '../helpers/projects.js';

const fixture = new E2eFixture(['local', 'r1']);
before(() => fixture.setUp());
after(() => fixture.tearDown());

const config = (gpu: unknown) => ({ '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', hostRequirements: { gpu } }) });

for (const where of ['local', 'r1'] as const) {
  describe(`hostRequirements.gpu on an engine without GPUs (${where === 'local' ? 'local engine' : `remote host ${where}`})`, () => {
    it('"optional" spawns without GPUs, with a warning', async () => {
      const p = await fixture.project(where, config('optional'));
      const result = await fixture.spawn(where, p.dir);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /hostRequirements\.gpu is "optional" and .* has no GPU runtime \(NVIDIA\): the container runs without GPUs\./);
      const inspect = await inspectContainer(fixture.engine(where), result.outcome?.containerId ?? '');
      const hostConfig = (inspect as unknown as { HostConfig: { DeviceRequests?: unknown } }).HostConfig;
      assert.ok(hostConfig.DeviceRequests === undefined || hostConfig.DeviceRequests === null || (Array.isArray(hostConfig.DeviceRequests) && hostConfig.DeviceRequests.length === 0), JSON.stringify(hostConfig.DeviceRequests));
    });

    it('true fails with E_GPU_UNAVAILABLE (exit 1) and a hint, leaving nothing', async () => {
      const p = await fixture.project(where, config(true));
      const result = await fixture.spawn(where, p.dir);
      assert.equal(result.code, 1, result.stderr);
      assert.doesNotMatch(result.stderr, STACK_TRACE);
      const outcome = result.outcome as unknown as { outcome: string; code: string; message: string; hint: string };
      assert.equal(outcome.outcome, 'error');
      assert.equal(outcome.code, 'E_GPU_UNAVAILABLE', result.stderr);
      assert.match(outcome.message, /requires a GPU \(hostRequirements\.gpu\), but .* has no GPU runtime/);
      assert.match(outcome.hint, /--remote <id>.*"gpu": "optional"/);
      assert.deepEqual(await leftovers(fixture.engine(where), p.dir), { containers: [], volumes: [] });
    });
  });
}
