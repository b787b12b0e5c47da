// The free-disk part of spawn's prerequisites, against an engine that answers
// only what the check asks (its info and the free space under its root).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { DISK_HEADROOM_BYTES, checkPrerequisites } from '../../src/core/spawn/prerequisites.js';
import type { MergedDevcontainerConfig } from '../../src/devcontainer/index.js';
import type { EngineClient } from '../../src/engine/index.js';

const GiB = 1024 ** 3;

function engineWithFree(free: number): EngineClient {
  return {
    info: async () => ({ DockerRootDir: '/var/lib/docker', NCPU: 2, MemTotal: 4 * GiB }),
    hostDiskFree: async () => free,
  } as unknown as EngineClient;
}

const merged = {} as MergedDevcontainerConfig;

describe('spawn prerequisites: free disk', () => {
  it('a new volume needs the workspace plus head room', async () => {
    await assert.rejects(checkPrerequisites(engineWithFree(2 * GiB), merged, { workspaceBytes: 2 * GiB, where: 'remote host "r1"' }), (error: unknown) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_DISK_FULL');
      assert.equal(error.message, 'Not enough disk space on remote host "r1": 2.0 GiB free under /var/lib/docker, but the workspace needs 2.0 GiB plus 512.0 MiB of head room.');
      return true;
    });
  });

  it('a volume that holds the workspace already needs the head room only', async () => {
    const result = await checkPrerequisites(engineWithFree(2 * GiB), merged, { workspaceBytes: 100 * GiB, intoVolume: 'pks-app', where: 'remote host "r1"' });
    assert.equal(result.freeDiskBytes, 2 * GiB);
    await assert.rejects(checkPrerequisites(engineWithFree(DISK_HEADROOM_BYTES - 1), merged, { workspaceBytes: 100 * GiB, intoVolume: 'pks-app', where: 'remote host "r1"' }), (error: unknown) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_DISK_FULL');
      assert.match(error.message, /, but the container needs 512\.0 MiB of head room \(the workspace is in the volume pks-app already\)\.$/);
      return true;
    });
  });
});
