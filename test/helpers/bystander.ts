// A user's own dev container on a test engine, made the way a user makes one
// (`pks devcontainer spawn <folder>` with their own HOME and user name), so
// a test can prove that it leaves what it did not create alone.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { EngineClient } from '../../src/engine/index.js';
import { createSandbox } from './pks-cli.js';

export interface Bystander {
  containerId: string;
  volumeName: string;
  /** Whether the container and its volume are both still on the engine. */
  intact(): Promise<boolean>;
  /** Removes exactly that container and volume (by ID and name), nothing else. */
  remove(): Promise<void>;
}

const outcomeShape = z.looseObject({ containerId: z.string(), volumeName: z.string() });

/** Spawns `folder` (relative to `cwd`, as a user types it) on the local engine as another user. */
export async function spawnBystander(engine: EngineClient, folder: string, cwd: string): Promise<Bystander> {
  const sandbox = await createSandbox();
  try {
    const result = await sandbox.run(['devcontainer', 'spawn', folder, '--format', 'json'], {
      cwd,
      env: { USER: `pks-user-${randomBytes(3).toString('hex')}` },
      timeoutMs: 180_000,
    });
    assert.equal(result.code, 0, result.stderr);
    const { containerId, volumeName } = outcomeShape.parse(JSON.parse(result.stdout));
    return {
      containerId,
      volumeName,
      intact: async () => {
        const containers = await engine.listContainers({ all: true, filters: { id: [containerId] } });
        const volume = await engine.requestEmpty({ path: `/volumes/${volumeName}`, okStatuses: [404] });
        return containers.some((c) => c.Id === containerId) && volume === 200;
      },
      remove: async () => {
        await engine.requestEmpty({ method: 'DELETE', path: `/containers/${containerId}`, query: { force: true }, okStatuses: [404] });
        await engine.requestEmpty({ method: 'DELETE', path: `/volumes/${volumeName}`, okStatuses: [404] });
      },
    };
  } finally {
    await sandbox.cleanup();
  }
}
