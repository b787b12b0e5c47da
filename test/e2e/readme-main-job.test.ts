// The README's main job, run the way the README shows it, next to a user's
// own spawn of the same example that must come through untouched.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnBystander, type Bystander } from '../helpers/bystander.js';
import { E2eFixture } from '../helpers/e2e-fixture.js';
import { leftovers } from '../helpers/projects.js';
import { repoRoot } from '../helpers/test-env.js';

const fixture = new E2eFixture(['local']);
let bystander: Bystander;
before(async () => {
  await fixture.setUp();
  bystander = await spawnBystander(fixture.engine('local'), 'examples/hello', repoRoot);
});
after(async () => {
  await bystander?.remove();
  await fixture.tearDown();
});

describe('the README main job', () => {
  it('pks devcontainer spawn examples/hello, then exec and rm as the README shows', async () => {
    const sandbox = fixture.sandbox;
    const engine = fixture.engine('local');
    // A copy of the example under a name of this run only: the user's own
    // `hello` (spawned from the checkout) is another project, never a candidate.
    const root = await mkdtemp(path.join(os.tmpdir(), 'pks-readme-'));
    const name = `hello-${randomBytes(4).toString('hex')}`;
    const dir = path.join(root, 'examples', name);
    await cp(path.join(repoRoot, 'examples', 'hello'), dir, { recursive: true });
    let created: { id: string; volume: string } | undefined;
    try {
      const spawned = await sandbox.run(['devcontainer', 'spawn', `examples/${name}`], { cwd: root, timeoutMs: 180_000 });
      assert.equal(spawned.code, 0, spawned.stderr);
      const containerName = new RegExp(`✔ Dev container (pks-pks-e2e-${name}-[0-9a-f]{8}) created\\.`).exec(spawned.stderr)?.[1];
      assert.ok(containerName !== undefined, spawned.stderr);
      const [container] = await engine.listContainers({ all: true, filters: { name: [`^/${containerName}$`] } });
      assert.ok(container !== undefined);
      created = { id: container.Id, volume: `${containerName}-workspace` };

      const ran = await sandbox.run(['devcontainer', 'exec', name, '--', 'sh', 'hello.sh'], { cwd: root });
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stdout, new RegExp(`^hello from pks \\(Linux \\S+, workspace /workspaces/${name}\\)\n$`));
      const removed = await sandbox.run(['devcontainer', 'rm', name, '--force', '--yes', '--volumes'], { cwd: root });
      assert.equal(removed.code, 0, removed.stderr);
      assert.deepEqual(await leftovers(engine, dir), { containers: [], volumes: [] });
    } finally {
      // Only what this test created, by ID and name.
      if (created !== undefined) {
        await engine.requestEmpty({ method: 'DELETE', path: `/containers/${created.id}`, query: { force: true }, okStatuses: [404] });
        await engine.requestEmpty({ method: 'DELETE', path: `/volumes/${created.volume}`, okStatuses: [404] });
      }
      await rm(root, { recursive: true, force: true });
    }
  });

  it('leaves the user\'s own container of the same example alone', async () => {
    assert.ok(await bystander.intact(), 'the user\'s container and volume are still there');
  });
});
