// Spawn's prerequisites (free disk, hostRequirements), against an engine that answers
// only what the check asks (its info, the free space under its root, its volumes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { DISK_HEADROOM_BYTES, checkPrerequisites } from '../../src/core/spawn/prerequisites.js';
import type { MergedDevcontainerConfig } from '../../src/devcontainer/index.js';
import type { ContainerInspect } from '../../src/core/containers/container-info.js';
import type { EngineClient } from '../../src/engine/index.js';
import { FakeEngine } from '../helpers/fake-engine.js';

const GiB = 1024 ** 3;

/** An engine with `free` bytes under its root and the named volumes. */
function engineWithFree(free: number, volumes: readonly string[] = []): EngineClient {
  const engine = new FakeEngine();
  engine.engineInfo = { ...engine.engineInfo, DockerRootDir: '/var/lib/docker', NCPU: 2, MemTotal: 4 * GiB };
  engine.diskFree = free;
  for (const name of volumes) engine.addVolume(name);
  return engine;
}

const noContainer = Promise.resolve(undefined);
const containerWithVolume = (name: string) => Promise.resolve({ Config: { Labels: { 'pks.volume.name': name } } } as unknown as ContainerInspect);

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
    const volume = { named: undefined, fallback: 'pks-app', existing: noContainer };
    const result = await checkPrerequisites(engineWithFree(2 * GiB, ['pks-app']), merged, { workspaceBytes: 100 * GiB, volume, where: 'remote host "r1"' });
    assert.equal(result.freeDiskBytes, 2 * GiB);
    await assert.rejects(checkPrerequisites(engineWithFree(DISK_HEADROOM_BYTES - 1, ['pks-app']), merged, { workspaceBytes: 100 * GiB, volume, where: 'remote host "r1"' }), (error: unknown) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_DISK_FULL');
      assert.match(error.message, /, but the container needs 512\.0 MiB of head room \(the workspace is in the volume pks-app already\)\.$/);
      return true;
    });
  });

  it('the volume is the one named, else the existing container\'s, else the usual one', async () => {
    const engine = engineWithFree(2 * GiB, ['pks-old']);
    const check = (volume: { named: string | undefined; fallback: string; existing: Promise<ContainerInspect | undefined> }) =>
      checkPrerequisites(engine, merged, { workspaceBytes: 100 * GiB, volume, where: 'the local engine' }).then(
        () => 'fits',
        (error: unknown) => (isPksError(error) ? error.code : 'other'),
      );
    assert.equal(await check({ named: undefined, fallback: 'pks-app', existing: containerWithVolume('pks-old') }), 'fits');
    assert.equal(await check({ named: undefined, fallback: 'pks-app', existing: noContainer }), 'E_DISK_FULL');
    assert.equal(await check({ named: 'pks-new', fallback: 'pks-app', existing: containerWithVolume('pks-old') }), 'E_DISK_FULL');
    assert.equal(await check({ named: 'pks-old', fallback: 'pks-app', existing: noContainer }), 'fits');
    // A lookup that fails is reported by the lookup itself; the usual volume is checked.
    assert.equal(await check({ named: undefined, fallback: 'pks-old', existing: Promise.reject(new Error('lost')) }), 'fits');
  });
});

describe('spawn prerequisites: hostRequirements', () => {
  const asking = (hostRequirements: Record<string, unknown>) => ({ hostRequirements }) as unknown as MergedDevcontainerConfig;

  it('a host smaller than asked for is a warning naming what is short, and the spawn goes on', async () => {
    const result = await checkPrerequisites(engineWithFree(100 * GiB), asking({ cpus: 8, memory: String(16 * GiB), storage: String(200 * GiB) }), { workspaceBytes: 0, where: 'the local engine' });
    assert.deepEqual(result.warnings, [
      "the local engine has less than the configuration's hostRequirements ask for (8 CPUs asked for, 2 available; memory: 16.0 GiB asked for, 4.0 GiB available; storage: 200.0 GiB asked for, 100.0 GiB free); a bigger host can be chosen with --remote <id>",
    ]);
  });

  it('never says "64.0 GiB required, 64.0 GiB free": the figures get the decimals it takes to differ', async () => {
    const result = await checkPrerequisites(engineWithFree(64 * GiB - 20 * 1024 ** 2), asking({ storage: String(64 * GiB) }), { workspaceBytes: 0, where: 'remote host "r1"' });
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0] ?? '', /storage: 64\.00 GiB asked for, 63\.98 GiB free/);
  });

  it('a host that has enough gets no warning', async () => {
    const result = await checkPrerequisites(engineWithFree(100 * GiB), asking({ cpus: 2, memory: String(4 * GiB), storage: String(10 * GiB) }), { workspaceBytes: 0, where: 'the local engine' });
    assert.deepEqual(result.warnings, []);
  });
});
