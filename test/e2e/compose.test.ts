// Docker Compose configurations (examples/compose-app), spawned with the real
// Compose (v1 here: Debian packages only docker-compose 1.29) on the local
// engine and on a remote host through pks's own connection: the workspace in
// the app service, the db service reached by name, hooks; list, stop/start,
// rm of the whole project; drift on a changed Compose file.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL } from '../../src/core/compose/compose-project.js';
import type { EngineClient } from '../../src/engine/index.js';
import { volumeExists } from '../integration/lifecycle-fixtures.js';
import { E2eFixture } from '../helpers/e2e-fixture.js';
import { containerExec, type Where } from '../helpers/projects.js';
import { repoRoot } from '../helpers/test-env.js';

const fixture = new E2eFixture(['local', 'r1']);
/** Compose projects the tests made, removed at the end with their images (by Compose's labels and pks's names). */
const made: Array<{ where: Where; project: string }> = [];

before(async () => {
  await fixture.setUp();
  // The db service's base: the local busybox test image (no registry here).
  fixture.sandbox.env['DB_BASE_IMAGE'] = 'pks-test/busybox:latest';
});
after(async () => {
  for (const { where, project } of made) await removeComposeProject(fixture.engine(where), project);
  await fixture.tearDown();
});

async function exampleFiles(dir = path.join(repoRoot, 'examples', 'compose-app'), prefix = ''): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = path.posix.join(prefix, entry.name);
    if (entry.isDirectory()) Object.assign(files, await exampleFiles(path.join(dir, entry.name), relative));
    else files[relative] = await readFile(path.join(dir, entry.name), 'utf8');
  }
  return files;
}

/** Everything of a Compose project this test made: containers, networks, volumes, and the images built for it. */
async function removeComposeProject(engine: EngineClient, project: string): Promise<void> {
  const filters = { label: [`${COMPOSE_PROJECT_LABEL}=${project}`] };
  for (const c of await engine.listContainers({ all: true, filters })) await engine.removeContainer(c.Id, { force: true, missingOk: true, anonymousVolumes: true });
  for (const n of await engine.listNetworks({ filters })) await engine.removeNetwork(n.Id, { missingOk: true });
  for (const v of await engine.listVolumes({ filters })) await engine.removeVolume(v.Name, { missingOk: true });
  await engine.removeVolume(`${project}-workspace`, { missingOk: true }).catch(() => undefined);
  for (const image of [`${project}-app-base`, `${project}-app`, `${project}_db`, `${project}-db`]) await engine.removeImage(image, { missingOk: true }).catch(() => undefined);
}

async function projectStates(engine: EngineClient, project: string): Promise<Record<string, string>> {
  const listed = await engine.listContainers({ all: true, filters: { label: [`${COMPOSE_PROJECT_LABEL}=${project}`] } });
  return Object.fromEntries(listed.map((c) => [c.Labels[COMPOSE_SERVICE_LABEL] ?? c.Id, c.State]));
}

describe('Docker Compose configurations', { concurrency: 2 }, () => {
  for (const where of ['local', 'r1'] as const) {
    it(`${where}: spawn builds and starts the services, the workspace is in the app service, db answers by name, hooks ran`, { timeout: 600_000 }, async () => {
      const project = await fixture.project(where, await exampleFiles());
      const engine = fixture.engine(where);
      const spawned = await fixture.spawn(where, project.dir);
      const name = spawned.outcome?.containerName ?? '';
      if (name !== '') made.push({ where, project: name });
      assert.equal(spawned.code, 0, spawned.stderr);
      const id = spawned.outcome?.containerId ?? '';
      assert.deepEqual(await projectStates(engine, name), { app: 'running', db: 'running' });

      const workspace = `/workspaces/${project.name}`;
      const files = await containerExec(engine, id, ['cat', `${workspace}/check-db.sh`, '/etc/compose-app-built']);
      assert.equal(files.exitCode, 0, files.stderr);
      assert.match(files.stdout, /exec 3<>\/dev\/tcp\/db\/5432/, 'the project is in the workspace volume');
      const db = await containerExec(engine, id, ['bash', `${workspace}/check-db.sh`]);
      assert.equal(db.stdout.trim(), 'db is up', db.stderr);
      const hook = await containerExec(engine, id, ['cat', '/tmp/pks-compose-created']);
      assert.equal(hook.stdout.trim(), 'hello from the app service', 'postCreateCommand ran with containerEnv');
      // The workspace volume took the place of the project's bind mount.
      const mounts = (await engine.inspectContainer(id)).Mounts ?? [];
      assert.deepEqual(
        mounts.filter((m) => m.Destination === '/workspaces').map((m) => [m.Type, m.Name]),
        [['volume', spawned.outcome?.volumeName]],
      );
      assert.equal(await volumeExists(engine, spawned.outcome?.volumeName ?? ''), true);
    });
  }
});
