// Shared hosts: two local users (root, and a real second Unix account run
// through runuser) spawn on the same engine under the same SSH login. Each
// one's list shows their own containers; destroying the other's needs
// --other-user; the other's container of the same name never gets in the way.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspectContainer } from '../../src/core/containers/container-info.js';
import { isEngineApiError, type EngineClient } from '../../src/engine/index.js';
import { volumeExists } from '../integration/lifecycle-fixtures.js';
import { E2eFixture, remoteArgs, type SpawnOutcome } from '../helpers/e2e-fixture.js';
import { assertErrorCode } from '../helpers/error-codes.js';
import { createOtherUser, type OtherUser } from '../helpers/other-user.js';
import { STACK_TRACE } from '../helpers/pks-cli.js';
import { removeProjectResources, type Where } from '../helpers/projects.js';
import { waitFor } from '../helpers/wait.js';

const fixture = new E2eFixture(['local', 'r1']);
const owner = os.userInfo().username;
let bob: OtherUser;
const bobsProjects: Array<{ where: Where; dir: string }> = [];

before(async () => {
  await fixture.setUp();
  // The first user is this process's own account, as a shell would say.
  fixture.sandbox.env.USER = owner;
  bob = await createOtherUser(fixture.env, ['r1']);
});
after(async () => {
  for (const { where, dir } of bobsProjects) await removeProjectResources(fixture.engine(where), dir);
  await bob?.cleanup();
  await fixture.tearDown();
});

const CONFIG = { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }) };

async function bobSpawns(where: Where, name: string): Promise<SpawnOutcome> {
  const dir = path.join(bob.home, 'src', name);
  await mkdir(path.join(dir, '.devcontainer'), { recursive: true });
  await writeFile(path.join(dir, '.devcontainer', 'devcontainer.json'), CONFIG['.devcontainer/devcontainer.json']);
  await bob.own(path.join(bob.home, 'src'));
  bobsProjects.push({ where, dir });
  const result = await bob.run(['devcontainer', 'spawn', dir, '--name', name, '--format', 'json', ...remoteArgs(where)], { timeoutMs: 180_000 });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as SpawnOutcome;
}

async function state(engine: EngineClient, id: string): Promise<'running' | 'stopped' | 'gone'> {
  try {
    return (await inspectContainer(engine, id)).State.Running ? 'running' : 'stopped';
  } catch (error) {
    if (isEngineApiError(error, 404)) return 'gone';
    throw error;
  }
}


interface Listed {
  containerId: string;
  spawnedBy: string | null;
}

for (const where of ['r1', 'local'] as const) {
  describe(`another local user's dev containers on ${where === 'local' ? 'the local engine' : `remote host ${where}`}`, () => {
    const name = `owners-${randomBytes(3).toString('hex')}`;
    let mine: SpawnOutcome;
    let theirs: SpawnOutcome;
    let engine: EngineClient;
    const remote = remoteArgs(where);

    before(async () => {
      engine = fixture.engine(where);
      const p = await fixture.project(where, CONFIG, { name });
      const spawned = await fixture.spawn(where, p.dir, ['--name', name]);
      assert.equal(spawned.code, 0, spawned.stderr);
      mine = spawned.outcome as SpawnOutcome;
      theirs = await bobSpawns(where, name);
      assert.notEqual(mine.containerId, theirs.containerId);
    });

    it('list shows your own by default; --all-users shows everyone\'s with their owner', async () => {
      const own = await fixture.sandbox.run(['devcontainer', 'list', '--all', '--format', 'json', ...remote]);
      assert.equal(own.code, 0, own.stderr);
      const ownIds = (JSON.parse(own.stdout) as Listed[]).map((c) => c.containerId);
      assert.ok(ownIds.includes(mine.containerId), 'your own is listed');
      assert.ok(!ownIds.includes(theirs.containerId), 'the other user\'s is not');

      const everyone = await fixture.sandbox.run(['devcontainer', 'list', '--all', '--all-users', '--format', 'json', ...remote]);
      assert.equal(everyone.code, 0, everyone.stderr);
      const byId = new Map((JSON.parse(everyone.stdout) as Listed[]).map((c) => [c.containerId, c.spawnedBy]));
      assert.equal(byId.get(mine.containerId), owner);
      assert.equal(byId.get(theirs.containerId), bob.name);

      const table = await fixture.sandbox.run(['devcontainer', 'list', '--all', ...remote]);
      assert.doesNotMatch(table.stdout, /OWNER/);
      assert.doesNotMatch(table.stdout, new RegExp(theirs.containerId.slice(0, 12)));
      assert.match(table.stderr, /dev containers? of other users not shown \(you are \S+; --all-users shows them\)/);
      const wide = await fixture.sandbox.run(['devcontainer', 'list', '--all', '--all-users', ...remote]);
      assert.match(wide.stdout.split('\n')[0] ?? '', /\bHOST\s+OWNER\s+AGE\b/);
      const row = wide.stdout.split('\n').find((line) => line.includes(theirs.containerId.slice(0, 12)));
      assert.match(row ?? '', new RegExp(`\\s${bob.name}\\s`));
    });

    it('naming the project picks your own, not the other user\'s of the same name', async () => {
      const stopped = await bob.run(['devcontainer', 'stop', name, '--timeout', '0', ...remote]);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stderr, new RegExp(`Stopped ${name} \\(${theirs.containerName}`));
      assert.equal(await state(engine, theirs.containerId), 'stopped');
      assert.equal(await state(engine, mine.containerId), 'running', 'the other user\'s container was not touched');
    });

    it('rm, stop, restart and rebuild of another user\'s container are refused without --other-user, naming the owner', async () => {
      const id = mine.containerId.slice(0, 12);
      for (const args of [['rm', id, '--force', '--yes', '--volumes'], ['stop', id], ['restart', id], ['rebuild', id]]) {
        const refused = await bob.run(['devcontainer', ...args, ...remote]);
        assert.equal(refused.code, 2, `${args[0]}: ${refused.stdout}${refused.stderr}`);
        assert.match(refused.stderr, new RegExp(`${mine.containerName} \\(${id}\\) on .* was spawned by ${owner}, not by you \\(${bob.name}\\)`));
        assert.match(refused.stderr, /pass --other-user/);
        assert.doesNotMatch(refused.stderr, STACK_TRACE);
      }
      const json = await bob.run(['--log-format', 'json', 'devcontainer', 'rm', id, '--force', '--yes', ...remote]);
      assertErrorCode(json, 'E_OTHER_USERS_CONTAINER', 2);
      assert.equal(await state(engine, mine.containerId), 'running', 'the owner\'s container survives');
      assert.equal(await volumeExists(engine, mine.volumeName), true, 'and so does its workspace volume');
    });

    it('exec in another user\'s container works and says whose it is', async () => {
      const ran = await bob.run(['devcontainer', 'exec', ...remote, mine.containerId.slice(0, 12), '--', 'echo', 'hi']);
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(ran.stdout, 'hi\n');
      assert.match(ran.stderr, new RegExp(`was spawned by ${owner}, not by you \\(${bob.name}\\)`));
    });

    it('on a terminal, stop asks first: no leaves it running, yes stops it', async () => {
      const id = mine.containerId.slice(0, 12);
      for (const answer of ['n', 'y']) {
        const term = bob.terminal(['devcontainer', 'stop', id, '--timeout', '0', ...remote]);
        await waitFor(() => /Stop it anyway\? \[y\/N\]/.test(term.output()), { timeoutMs: 30_000, intervalMs: 50, message: () => `no question on the terminal: ${term.output()}` });
        assert.match(term.output(), new RegExp(`was spawned by ${owner}, not by you \\(${bob.name}\\)`));
        term.write(`${answer}\r`);
        const code = await term.exited;
        assert.equal(code, answer === 'y' ? 0 : 1, term.output());
        assert.equal(await state(engine, mine.containerId), answer === 'y' ? 'stopped' : 'running', term.output());
      }
    });

    it('rm --other-user removes it (and its volume), still saying whose it was', async () => {
      const removed = await bob.run(['devcontainer', 'rm', mine.containerId.slice(0, 12), '--force', '--yes', '--volumes', '--other-user', ...remote]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stderr, new RegExp(`was spawned by ${owner}, not by you`));
      assert.equal(await state(engine, mine.containerId), 'gone');
      assert.equal(await volumeExists(engine, mine.volumeName), false);
      assert.notEqual(await state(engine, theirs.containerId), 'gone', 'the user\'s own container is untouched');
    });

    it('spawn --force of the same folder replaces only the user\'s own container', async () => {
      const dir = path.join(bob.home, 'src', name);
      const rootSpawn = await fixture.sandbox.run(['devcontainer', 'spawn', dir, '--name', name, '--format', 'json', ...remote], { timeoutMs: 180_000 });
      assert.equal(rootSpawn.code, 0, rootSpawn.stderr);
      const rootsOfSameFolder = JSON.parse(rootSpawn.stdout) as SpawnOutcome;
      const forced = await bob.run(['devcontainer', 'spawn', dir, '--name', name, '--force', '--format', 'json', ...remote], { timeoutMs: 180_000 });
      assert.equal(forced.code, 0, forced.stderr);
      const replaced = JSON.parse(forced.stdout) as SpawnOutcome;
      assert.notEqual(replaced.containerId, rootsOfSameFolder.containerId);
      assert.equal(await state(engine, theirs.containerId), 'gone', 'the user\'s own container was replaced');
      assert.equal(await state(engine, rootsOfSameFolder.containerId), 'running', 'the other user\'s spawn of the same folder was not');
    });
  });
}
