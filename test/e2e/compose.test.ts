// Docker Compose configurations (examples/compose-app), spawned with the real
// Compose (v1 here: Debian packages only docker-compose 1.29) on the local
// engine and on a remote host through pks's own connection: the workspace in
// the app service, the db service reached by name, hooks; list, stop/start,
// rm of the whole project; drift on a changed Compose file.
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL } from '../../src/core/compose/compose-project.js';
import type { EngineClient } from '../../src/engine/index.js';
import { volumeExists } from '../integration/lifecycle-fixtures.js';
import { E2eFixture, remoteArgs } from '../helpers/e2e-fixture.js';
import { containerExec, type Project, type Where } from '../helpers/projects.js';
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

/** Spawns the example on `where`: its outcome, the Compose project recorded for clean-up. */
async function spawnExample(where: Where, project: Project, extra: string[] = []) {
  const spawned = await fixture.spawn(where, project.dir, extra);
  const name = spawned.outcome?.containerName ?? '';
  if (name !== '' && !made.some((m) => m.where === where && m.project === name)) made.push({ where, project: name });
  assert.equal(spawned.code, 0, spawned.stderr);
  return { ...spawned, name, id: spawned.outcome?.containerId ?? '' };
}

/** `pks devcontainer <command> [--remote <id>] <args>` on `where`. */
function pks(where: Where, command: string, ...args: string[]) {
  return fixture.sandbox.run(['devcontainer', command, ...remoteArgs(where), ...args], { timeoutMs: 180_000 });
}

describe('Docker Compose configurations', { concurrency: 2 }, () => {
  for (const where of ['local', 'r1'] as const) {
    it(`${where}: spawn builds and starts the services, the workspace is in the app service, db answers by name, hooks ran`, { timeout: 600_000 }, async () => {
      const project = await fixture.project(where, await exampleFiles());
      const engine = fixture.engine(where);
      const { name, id, outcome } = await spawnExample(where, project);
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
        [['volume', outcome?.volumeName]],
      );

      // list: one row, the workspace service, marked as a Compose project of 2 services.
      const listed = await pks(where, 'list', '--format', 'json');
      assert.equal(listed.code, 0, listed.stderr);
      const rows = (JSON.parse(listed.stdout) as Array<{ containerId: string; compose: unknown }>).filter((row) => row.containerId === id || (row.compose as { project?: string } | null)?.project === name);
      assert.deepEqual(rows.map((row) => [row.containerId, row.compose]), [[id, { project: name, services: 2 }]]);
      const table = await pks(where, 'list');
      assert.match(table.stdout, new RegExp(`${project.name} \\(compose, 2 services\\)`));

      // exec runs in the workspace service.
      const exec = await pks(where, 'exec', project.name, '--', 'cat', '/etc/compose-app-built');
      assert.equal(exec.code, 0, exec.stderr);
    });

    it(`${where}: stop and start act on every service; rm removes every container and the network, volumes only with --volumes, with the project folder gone too`, { timeout: 600_000 }, async () => {
      // db also mounts a folder of this machine: on a remote host that folder is the host's, and spawn says so.
      const files = await exampleFiles();
      files['.devcontainer/docker-compose.yml'] += '    volumes:\n      - ./data:/data\n';
      files['.devcontainer/data/.keep'] = '';
      const project = await fixture.project(where, files);
      const engine = fixture.engine(where);
      const { name, outcome, stderr } = await spawnExample(where, project);
      const warning = `service db: the bind mount ${path.join(project.dir, '.devcontainer', 'data')} → /data is resolved on the remote host, not on this machine`;
      assert.equal(stderr.includes(warning), where !== 'local', stderr);

      const stopped = await pks(where, 'stop', project.name, '--timeout', '2');
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.deepEqual(await projectStates(engine, name), { app: 'exited', db: 'exited' });
      assert.match(stopped.stderr, /with its Compose project \(2 services\)/);
      const started = await pks(where, 'start', project.name);
      assert.equal(started.code, 0, started.stderr);
      assert.deepEqual(await projectStates(engine, name), { app: 'running', db: 'running' });

      const networks = async () => (await engine.listNetworks({ filters: { label: [`${COMPOSE_PROJECT_LABEL}=${name}`] } })).map((n) => n.Name);
      assert.equal((await networks()).length, 1, 'Compose made the project network');
      const removed = await pks(where, 'rm', project.name, '--force', '--yes');
      assert.equal(removed.code, 0, removed.stderr);
      assert.deepEqual(await projectStates(engine, name), {}, 'every container of the project is gone');
      assert.deepEqual(await networks(), [], 'the network is gone');
      assert.equal(await volumeExists(engine, outcome?.volumeName ?? ''), true, 'the workspace volume is kept without --volumes');

      const again = await spawnExample(where, project);
      assert.equal(again.outcome?.volumeName, outcome?.volumeName);
      // rm needs neither Compose's files nor the project folder: Compose's labels on the engine say what is the project's.
      await rm(path.join(project.dir, '.devcontainer'), { recursive: true });
      const withVolumes = await pks(where, 'rm', project.name, '--force', '--yes', '--volumes');
      assert.equal(withVolumes.code, 0, withVolumes.stderr);
      assert.deepEqual(await projectStates(engine, name), {});
      assert.equal(await volumeExists(engine, outcome?.volumeName ?? ''), false, '--volumes removes the workspace volume');
    });
  }

  it('local: a changed Compose file is drift: spawn says which file changed and replaces the service', { timeout: 600_000 }, async () => {
    const project = await fixture.project('local', await exampleFiles());
    const engine = fixture.engine('local');
    const first = await spawnExample('local', project);
    const reused = await spawnExample('local', project);
    assert.equal(reused.outcome?.action, 'reused', reused.stderr);

    await appendFile(path.join(project.dir, '.devcontainer', 'docker-compose.yml'), '    environment:\n      DB_MODE: changed\n');
    const changed = await spawnExample('local', project);
    assert.equal(changed.outcome?.action, 'rebuilt', changed.stderr);
    assert.match(changed.stderr, /docker-compose\.yml/, 'spawn names the changed Compose file');
    assert.notEqual(changed.id, first.id);
    const [db] = await engine.listContainers({ all: true, filters: { label: [`${COMPOSE_PROJECT_LABEL}=${changed.name}`, `${COMPOSE_SERVICE_LABEL}=db`] } });
    assert.ok((await engine.inspectContainer(db?.Id ?? '')).Config.Env?.includes('DB_MODE=changed'), 'Compose recreated db from the changed file');
    assert.deepEqual(await projectStates(engine, changed.name), { app: 'running', db: 'running' });

    // rebuild: Compose builds again and the workspace service is replaced, on the same volume.
    const rebuilt = await pks('local', 'rebuild', project.name, '--format', 'json');
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    const outcome = JSON.parse(rebuilt.stdout) as { containerId: string; volumeName: string };
    assert.notEqual(outcome.containerId, changed.id);
    assert.equal(outcome.volumeName, changed.outcome?.volumeName);
    assert.deepEqual(await projectStates(engine, changed.name), { app: 'running', db: 'running' });
  });
});
