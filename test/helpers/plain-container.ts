// A plain running container (no pks labels but `pks.test`) for tests of what
// pks does inside one, removed afterwards whatever happens.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { EngineClient } from '../../src/engine/index.js';

/** Runs `body` with a started container of `image` (`sh` kept alive on an open stdin), then removes it. */
export async function withContainer(engine: EngineClient, image: string, body: (id: string) => Promise<void>, test = 'core-exec'): Promise<void> {
  const { Id: id } = await engine.request(
    {
      method: 'POST',
      path: '/containers/create',
      query: { name: `pks-test-${test}-${randomBytes(4).toString('hex')}` },
      body: { Image: image, Cmd: ['sh'], OpenStdin: true, Labels: { 'pks.test': test } },
    },
    z.looseObject({ Id: z.string() }),
  );
  try {
    await engine.requestEmpty({ method: 'POST', path: `/containers/${id}/start` });
    await body(id);
  } finally {
    await engine.requestEmpty({ method: 'DELETE', path: `/containers/${id}`, query: { force: 1 } });
  }
}
