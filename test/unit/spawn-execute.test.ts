// The whole spawn against the in-memory engine: the happy paths (a fresh
// container, reuse, restart of a stopped one, rebuild on drift, a resumed
// upload, a container left unfinished, a concurrent spawn) and a failure
// injected at each step, checking what is left on the engine and the
// failure report's exact words (what was removed, what was kept, resumable).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { LABELS } from '../../src/core/containers/labels.js';
import { SPAWN_OWNER_LABEL } from '../../src/core/spawn/existing.js';
import { spawnDevcontainer, type SpawnEvent, type SpawnRequest, type SpawnResult } from '../../src/core/spawn/spawn.js';
import { FakeEngine, connectionLost, engineError, type FakeContainer } from '../helpers/fake-engine.js';

const IMAGE = 'pks-test/busybox:latest';
const projects: string[] = [];
after(async () => {
  for (const dir of projects) await rm(dir, { recursive: true, force: true });
});

interface Setup {
  engine: FakeEngine;
  project: string;
  events: SpawnEvent[];
  spawn(overrides?: Partial<SpawnRequest>): Promise<SpawnResult>;
  /** The spawn's error (it must fail). */
  failure(overrides?: Partial<SpawnRequest>): Promise<{ code: string; message: string; hint: string | undefined }>;
  messages(): string[];
}

async function setUp(config: Record<string, unknown> = { image: IMAGE }): Promise<Setup> {
  const project = await mkdtemp(path.join(os.tmpdir(), 'pks-spawn-exec-'));
  projects.push(project);
  await mkdir(path.join(project, '.devcontainer'));
  await writeFile(path.join(project, '.devcontainer', 'devcontainer.json'), JSON.stringify(config));
  await writeFile(path.join(project, 'main.txt'), 'hello\n');
  const engine = new FakeEngine();
  engine.addImage(IMAGE);
  const events: SpawnEvent[] = [];
  const request = (overrides: Partial<SpawnRequest>): SpawnRequest => ({
    projectPath: project,
    projectName: 'app',
    cwd: project,
    env: {},
    localUser: 'alice',
    target: { engine, hostId: 'local', description: 'the local engine' },
    rebuild: 'auto',
    force: false,
    includeIgnored: false,
    host: { listFiles: async () => ['.devcontainer/devcontainer.json', 'main.txt'], runInitializeCommand: async () => undefined },
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return {
    engine,
    project,
    events,
    spawn: (overrides = {}) => spawnDevcontainer(request(overrides)),
    async failure(overrides = {}) {
      try {
        await spawnDevcontainer(request(overrides));
      } catch (error) {
        assert.ok(isPksError(error), `not a pks error: ${String(error)}`);
        return { code: error.code, message: error.message, hint: error.hint };
      }
      assert.fail('the spawn succeeded');
    },
    messages: () => events.flatMap((event) => (event.type === 'info' || event.type === 'warning' ? [event.message] : [])),
  };
}

const NAME = 'pks-alice-app-';
const only = <T>(items: Iterable<T>): T => {
  const list = [...items];
  assert.equal(list.length, 1, `expected one, got ${list.length}`);
  return list[0] as T;
};
const containerOf = (engine: FakeEngine): FakeContainer => only(engine.containers.values());
const volumeOf = (engine: FakeEngine): string => only(engine.volumes.keys());
/** The operations that change the engine, in order. */
const changes = (engine: FakeEngine): string[] =>
  engine.calls.filter((call) => /^(createVolume|createContainer|startContainer|removeContainer|removeVolume|putArchive|stopContainer)\b/.test(call)).map((call) => call.replace(/ [0-9a-f]{64}/, ' <id>').split(' ').slice(0, 2).join(' ').replace(/ pks-alice-app-\w+/, ' <name>'));
/** The volume's files (the workspace, and the marker of a finished upload). */
const volumeFiles = (engine: FakeEngine): Map<string, Buffer> => only(engine.volumes.values()).files;
const markerOf = (engine: FakeEngine): string | undefined => [...volumeFiles(engine).keys()].find((file) => file.startsWith('.pks-uploads/'));

/** The project's container, never started, of a spawn at work on another machine. */
async function beingCreatedElsewhere(): Promise<{ s: Setup; theirs: FakeContainer }> {
  const s = await setUp();
  await s.spawn();
  const theirs = containerOf(s.engine);
  theirs.state = 'created';
  theirs.labels[SPAWN_OWNER_LABEL] = 'elsewhere:1';
  return { s, theirs };
}

/**
 * Overrides that do `act` once the spawn says it is waiting for the other
 * one: a timer could fire before the spawn even looked, on a busy machine.
 */
function whenWaiting(s: Setup, act: () => void): Partial<SpawnRequest> {
  let done = false;
  return {
    onEvent: (event) => {
      s.events.push(event);
      if (!done && event.type === 'info' && event.message.startsWith('Another spawn of this project is creating')) {
        done = true;
        setTimeout(act, 20);
      }
    },
  };
}

describe('spawn on the fake engine: happy paths', () => {
  it('fresh: creates the container (the engine makes its new volume), uploads, starts, runs the hooks', async () => {
    const s = await setUp({ image: IMAGE, postCreateCommand: 'echo made' });
    const result = await s.spawn();
    assert.equal(result.outcome, 'created');
    const container = containerOf(s.engine);
    assert.equal(container.state, 'running');
    assert.ok(container.name.startsWith(NAME));
    assert.equal(result.volumeName, volumeOf(s.engine));
    assert.equal(container.labels[LABELS.volumeName], result.volumeName);
    // The upload, the start, then postCreateCommand's record (/var/lib/pks/hook-logs).
    assert.deepEqual(changes(s.engine), ['createContainer <name>', 'putArchive <id>', 'startContainer <id>', 'putArchive <id>']);
    // Labelled as a volume created on its own would be.
    const labels = s.engine.volumes.get(result.volumeName)?.labels ?? {};
    assert.equal(labels[LABELS.managed], 'true');
    assert.equal(labels[LABELS.volumeName], result.volumeName);
    assert.equal(labels[LABELS.metadata], undefined);
    assert.ok(markerOf(s.engine) !== undefined);
    assert.equal(volumeFiles(s.engine).get('app/main.txt')?.toString(), 'hello\n');
    assert.ok([...s.engine.execs.values()].some((exec) => exec.cmd.join(' ').includes('echo made')));
  });

  it('fresh on Podman, which makes a mount\'s volume without its labels: the volume is created first, labelled', async () => {
    const s = await setUp();
    s.engine.engineInfo = { ...s.engine.engineInfo, BuildahVersion: '1.28.2' };
    const result = await s.spawn();
    assert.deepEqual(changes(s.engine).slice(0, 2), ['createVolume <name>-workspace', 'createContainer <name>']);
    assert.equal(s.engine.volumes.get(result.volumeName)?.labels[LABELS.managed], 'true');
  });

  it('reuse: a running container whose configuration did not change is used as it is', async () => {
    const s = await setUp();
    const first = await s.spawn();
    s.engine.calls.length = 0;
    const second = await s.spawn();
    assert.equal(second.outcome, 'reused');
    assert.equal(second.containerId, first.containerId);
    assert.deepEqual(changes(s.engine), []);
  });

  it('reuse warns about the options that apply only to a new container', async () => {
    const s = await setUp();
    await s.spawn();
    await s.spawn({ includeIgnored: true, volumeName: 'other-volume' });
    assert.ok(s.messages().some((message) => /^--include-ignored and --volume-name apply only when a container is created; pks-alice-app-\w+ is reused as it is \(--force replaces it\)\.$/.test(message)), s.messages().join('\n'));
  });

  it('a stopped container is started (and checked to be running)', async () => {
    const s = await setUp();
    await s.spawn();
    containerOf(s.engine).state = 'exited';
    s.engine.calls.length = 0;
    const result = await s.spawn();
    assert.equal(result.outcome, 'started');
    assert.equal(containerOf(s.engine).state, 'running');
    assert.deepEqual(changes(s.engine), ['startContainer <id>']);
  });

  it('a stopped container that exits as soon as it starts fails with its exit code, kept for inspection', async () => {
    const s = await setUp();
    await s.spawn();
    const container = containerOf(s.engine);
    container.state = 'exited';
    container.exitCode = 7;
    const start = s.engine.startContainer.bind(s.engine);
    s.engine.startContainer = async (id) => {
      await start(id);
      container.state = 'exited';
      return 'started';
    };
    const failure = await s.failure();
    assert.equal(failure.code, 'E_CONTAINER_EXITED');
    assert.match(failure.message, /stopped right after it started \(exit code 7\); it is kept for inspection\.$/);
    assert.equal(s.engine.containers.size, 1);
  });

  it('a container that stops between the hook\'s exec create and its start: reported as its exit, not as the engine\'s refusal', async () => {
    for (const [status, message] of [
      [500, 'Container abc is not running: Exited (0) Less than a second ago'],
      [404, 'No such exec instance: abc'],
    ] as const) {
      const s = await setUp({ image: IMAGE, postCreateCommand: 'true' });
      const startExec = s.engine.startExec.bind(s.engine);
      s.engine.startExec = async (execId, options) => {
        Object.assign(containerOf(s.engine), { state: 'exited', exitCode: 0 });
        await startExec(execId, options).catch(() => undefined);
        throw engineError(status, message);
      };
      const failure = await s.failure();
      assert.equal(failure.code, 'E_CONTAINER_EXITED', `${status}: ${failure.message}`);
      assert.match(failure.message, /stopped right after it started \(exit code 0\)/);
    }
  });

  it('a new container with a postCreateCommand that exits as soon as it starts fails with its exit code, kept, the git identity not warned about', async () => {
    const s = await setUp({ image: IMAGE, postCreateCommand: 'echo created' });
    const start = s.engine.startContainer.bind(s.engine);
    s.engine.startContainer = async (id) => {
      await start(id);
      Object.assign(containerOf(s.engine), { state: 'exited', exitCode: 3 });
      return 'started';
    };
    const gitIdentity = async () => ({ name: 'Ada', email: 'ada@example.org' });
    const failure = await s.failure({ host: { listFiles: async () => ['.devcontainer/devcontainer.json', 'main.txt'], runInitializeCommand: async () => undefined, gitIdentity } });
    assert.equal(failure.code, 'E_CONTAINER_EXITED');
    assert.match(failure.message, /stopped right after it started \(exit code 3\); it is kept for inspection\.$/);
    assert.equal(s.engine.containers.size, 1);
    assert.deepEqual(s.events.filter((event) => event.type === 'warning' || event.type === 'hook-start'), []);
    // Without a git identity to copy, the hook's own exec finds it stopped: the same report.
    s.engine.containers.clear();
    const again = await s.failure();
    assert.equal(again.code, 'E_CONTAINER_EXITED');
    assert.equal(again.message, failure.message.replace(/pks-alice-app-\w+/, only(s.engine.containers.values()).name));
    assert.equal(again.hint, failure.hint?.replaceAll(/pks-alice-app-\w+/g, only(s.engine.containers.values()).name));
  });

  it('drift: a changed configuration replaces the container on the same volume', async () => {
    const s = await setUp();
    const first = await s.spawn();
    await writeFile(path.join(s.project, '.devcontainer', 'devcontainer.json'), JSON.stringify({ image: IMAGE, containerEnv: { A: '1' } }));
    s.engine.calls.length = 0;
    const second = await s.spawn();
    assert.equal(second.outcome, 'rebuilt');
    assert.notEqual(second.containerId, first.containerId);
    assert.equal(second.volumeName, first.volumeName);
    assert.equal(volumeOf(s.engine), first.volumeName);
    assert.equal(containerOf(s.engine).id, second.containerId);
    // The volume holds the workspace already: nothing is uploaded over it,
    // only the configuration (and the marker's record of it) is brought up
    // to date there.
    assert.deepEqual(changes(s.engine), ['removeContainer <id>', 'createContainer <name>', 'putArchive <id>', 'putArchive <id>', 'startContainer <id>']);
    assert.ok(s.messages().includes("Updated the volume's .devcontainer/devcontainer.json to this machine's version."), s.messages().join('\n'));
    assert.ok(s.messages().some((message) => /^\.devcontainer\/devcontainer\.json changed since pks-alice-app-\w+ was created: rebuilding it \(the workspace volume is kept\)\.$/.test(message)), s.messages().join('\n'));
    assert.ok(s.messages().some((message) => message.startsWith('The volume already holds the workspace /workspaces/app: not uploading over it.')));
  });

  it('--no-rebuild reuses a drifted container with a warning; --rebuild and --force replace an unchanged one', async () => {
    const s = await setUp();
    await s.spawn();
    await writeFile(path.join(s.project, '.devcontainer', 'devcontainer.json'), JSON.stringify({ image: IMAGE, containerEnv: { A: '1' } }));
    assert.equal((await s.spawn({ rebuild: 'never' })).outcome, 'reused');
    assert.ok(s.messages().some((message) => message.endsWith('reusing it anyway (--no-rebuild).')));
    assert.equal((await s.spawn({ rebuild: 'always', rebuildReason: '--rebuild' })).outcome, 'rebuilt');
    assert.ok(s.messages().some((message) => /^Rebuilding pks-alice-app-\w+ \(--rebuild\)\.$/.test(message)));
    assert.equal((await s.spawn({ force: true })).outcome, 'rebuilt');
    assert.ok(s.messages().some((message) => /^Replacing pks-alice-app-\w+ \(--force\); the workspace volume and its files are kept\.$/.test(message)));
    assert.equal(s.engine.containers.size, 1);
    assert.equal(s.engine.volumes.size, 1);
  });

  it('resume: a running container whose upload did not finish gets the files again', async () => {
    const s = await setUp();
    await s.spawn();
    const marker = markerOf(s.engine);
    assert.ok(marker !== undefined);
    volumeFiles(s.engine).delete(marker);
    s.engine.calls.length = 0;
    const result = await s.spawn();
    assert.equal(result.outcome, 'reused');
    assert.deepEqual(changes(s.engine), ['putArchive <id>']);
    assert.ok(markerOf(s.engine) !== undefined);
    assert.ok(s.messages().some((message) => /^The workspace upload into pks-alice-app-\w+ did not finish: uploading it again\.$/.test(message)));
  });

  it('a container left in "created" by a spawn that died is replaced', async () => {
    const s = await setUp();
    await s.spawn();
    const old = containerOf(s.engine);
    old.state = 'created';
    old.created -= 120;
    const result = await s.spawn();
    assert.equal(result.outcome, 'rebuilt');
    assert.notEqual(containerOf(s.engine).id, old.id);
    assert.ok(s.messages().some((message) => /^pks-alice-app-\w+ was left unfinished by an earlier spawn: replacing it\.$/.test(message)));
  });

  it('a container another spawn is still creating is waited for, then used', async () => {
    const { s, theirs } = await beingCreatedElsewhere();
    const result = await s.spawn(whenWaiting(s, () => (theirs.state = 'running')));
    assert.equal(result.outcome, 'reused');
    assert.equal(result.containerId, theirs.id);
    assert.ok(s.messages().some((message) => /^Another spawn of this project is creating pks-alice-app-\w+; waiting for it \(at most \d+ s\)\.$/.test(message)));
  });

  it('a container another spawn was creating and then removed: this spawn creates its own', async () => {
    const { s, theirs } = await beingCreatedElsewhere();
    const result = await s.spawn(whenWaiting(s, () => s.engine.containers.delete(theirs.id)));
    assert.equal(result.outcome, 'created');
    assert.notEqual(result.containerId, theirs.id);
  });

  it('the name taken at create time (a concurrent spawn won the race): its container is used', async () => {
    const s = await setUp();
    const name = (await s.spawn()).containerName;
    const theirs = containerOf(s.engine);
    // Not found by the lookup (no labels yet), but holding the name.
    theirs.labels = {};
    const result = await s.spawn();
    assert.equal(result.outcome, 'reused');
    assert.equal(result.containerId, theirs.id);
    assert.ok(s.messages().includes(`Another spawn of this project is creating ${name}; waiting for it.`));
  });

  it('the concurrent spawn that took the name removed its container: E_PEER_SPAWN_FAILED, this run cleans up its volume', async () => {
    const s = await setUp();
    const first = await s.spawn();
    const theirs = containerOf(s.engine);
    theirs.labels = {};
    theirs.state = 'created';
    theirs.mounts = [];
    s.engine.volumes.clear();
    const failure = await s.failure(whenWaiting(s, () => s.engine.containers.delete(theirs.id)));
    assert.equal(failure.code, 'E_PEER_SPAWN_FAILED');
    assert.equal(failure.message, `Another spawn of this project was creating ${first.containerName} and did not finish.`);
    assert.equal(s.engine.volumes.size, 0);
  });
});

/** The report a lost connection ends with. */
const lost = (step: string, left: string): string => `Lost the connection to the local engine while ${step}: The connection to the engine failed: socket hang up. ${left}`;

describe('spawn on the fake engine: a failure at each step', () => {
  for (const [step, operation, words] of [
    ['image', 'inspectImage', 'preparing the image (image step)'],
    ['volume', 'createVolume', 'preparing the workspace volume (volume step)'],
  ] as const) {
    it(`${step}: nothing was created`, async () => {
      const s = await setUp();
      // An engine that needs the volume created on its own (Podman).
      s.engine.engineInfo = { ...s.engine.engineInfo, BuildahVersion: '1.28.2' };
      s.engine.failOn(operation, connectionLost());
      const failure = await s.failure();
      assert.equal(failure.message, lost(words, 'Nothing of this run was left there.'));
      assert.equal(s.engine.containers.size + s.engine.volumes.size, 0);
    });
  }

  it('container create without an answer: the container is looked up by name; the new volume is removed', async () => {
    const s = await setUp();
    s.engine.failOn('createContainer', connectionLost());
    const failure = await s.failure();
    assert.match(failure.message, new RegExp(`^${escape(lost('creating the container (container step)', 'Its new volume pks-alice-app-'))}\\w+-workspace was removed\\.$`));
    assert.equal(s.engine.containers.size + s.engine.volumes.size, 0);
    assert.ok(s.messages().some((message) => /^Cleaned up what this run created: volume pks-alice-app-\w+-workspace\.$/.test(message)));
  });

  it('container create refused by the engine (500): the error as the engine said it; the new volume is removed', async () => {
    const s = await setUp();
    s.engine.failOn('createContainer', engineError(500, 'no space left'));
    await assert.rejects(s.spawn(), (error: unknown) => error instanceof Error && /no space left/.test(error.message));
    assert.equal(s.engine.containers.size + s.engine.volumes.size, 0);
    assert.deepEqual(changes(s.engine).slice(-1), ['removeVolume <name>-workspace']);
  });

  for (const [step, operation, words] of [
    ['the users check', 'getArchive', 'creating the container (container step)'],
    ['the upload', 'putArchive', 'uploading the workspace (upload step)'],
    ['the start', 'startContainer', 'starting the container (start step)'],
  ] as const) {
    it(`${step}: the half-created container and its new volume are removed`, async () => {
      // A named user is looked up in the image (root needs no lookup).
      const s = await setUp(operation === 'getArchive' ? { image: IMAGE, remoteUser: 'dev' } : undefined);
      s.engine.failOn(operation, connectionLost());
      const failure = await s.failure();
      assert.match(failure.message, new RegExp(`^${escape(lost(words, 'The half-created container pks-alice-app-'))}\\w+ and its new volume pks-alice-app-\\w+-workspace were removed\\.$`));
      assert.equal(failure.hint, undefined);
      assert.equal(s.engine.containers.size + s.engine.volumes.size, 0);
    });
  }

  it('a volume that existed before is never removed, only the container', async () => {
    const s = await setUp();
    await s.spawn();
    s.engine.containers.clear();
    s.engine.failOn('startContainer', connectionLost());
    const failure = await s.failure();
    assert.match(failure.message, /The half-created container pks-alice-app-\w+ was removed\.$/);
    assert.equal(s.engine.containers.size, 0);
    assert.equal(s.engine.volumes.size, 1);
  });

  it('the clean-up cannot reach the engine either: what is left is named, and the run is resumable', async () => {
    const s = await setUp();
    s.engine.failOn('putArchive', connectionLost()).failOn('removeContainer', connectionLost());
    const failure = await s.failure();
    assert.match(
      failure.message,
      new RegExp(`^${escape(lost('uploading the workspace (upload step)', 'The half-created container pks-alice-app-'))}\\w+ and its new volume pks-alice-app-\\w+-workspace could not be removed \\(The connection to the engine failed: socket hang up\\): run the same command again to resume\\.$`),
    );
    assert.equal(failure.hint, 'Once the local engine can be reached again, run the same command: it resumes where this run stopped.');
    assert.equal(s.engine.containers.size, 1);
    assert.equal(s.engine.volumes.size, 1);
  });

  it('hooks: the container is kept; the next run resumes the hooks', async () => {
    const s = await setUp({ image: IMAGE, postCreateCommand: 'echo made' });
    s.engine.failOn('createExec', connectionLost());
    const failure = await s.failure();
    assert.match(failure.message, new RegExp(`^${escape(lost('running the lifecycle hooks (hooks step)', 'The container pks-alice-app-'))}\\w+ is kept; its lifecycle hooks did not all finish: run the same command again to resume \\(it runs the ones that did not\\)\\.$`));
    assert.equal(containerOf(s.engine).state, 'running');
    assert.equal(volumeOf(s.engine).endsWith('-workspace'), true);
    assert.equal((await s.spawn()).outcome, 'reused');
  });

  it('rebuild: removing the old container fails, the old container is left as it was', async () => {
    const s = await setUp();
    const first = await s.spawn();
    s.engine.failOn('removeContainer', connectionLost());
    const failure = await s.failure({ rebuild: 'always' });
    assert.equal(failure.message, lost('creating the container (container step)', 'Nothing of this run was left there.'));
    assert.equal(containerOf(s.engine).id, first.containerId);
    assert.equal(containerOf(s.engine).state, 'running');
  });

  it('rebuild: a failure after the old container is gone keeps the volume (it was not this run\'s)', async () => {
    const s = await setUp();
    const first = await s.spawn();
    s.engine.failOn('startContainer', connectionLost());
    const failure = await s.failure({ rebuild: 'always' });
    assert.match(failure.message, /The half-created container pks-alice-app-\w+ was removed\.$/);
    assert.equal(s.engine.containers.size, 0);
    assert.deepEqual([...s.engine.volumes.keys()], [first.volumeName]);
  });

  it('reuse: a resumed upload that fails again keeps the container, resumable', async () => {
    const s = await setUp();
    await s.spawn();
    volumeFiles(s.engine).delete(markerOf(s.engine) ?? '');
    s.engine.failOn('putArchive', connectionLost());
    const failure = await s.failure();
    assert.match(failure.message, new RegExp(`^${escape(lost('uploading the workspace (upload step)', 'The container pks-alice-app-'))}\\w+ is kept; the workspace upload into it did not finish: run the same command again to resume\\.$`));
    assert.equal(failure.hint, 'Once the local engine can be reached again, run the same command: it resumes where this run stopped.');
    assert.equal(s.engine.containers.size, 1);
  });

  it('reuse: a stopped container whose start fails: nothing of this run was left', async () => {
    const s = await setUp();
    await s.spawn();
    containerOf(s.engine).state = 'exited';
    s.engine.failOn('startContainer', connectionLost());
    const failure = await s.failure();
    assert.equal(failure.message, lost('starting the container (start step)', 'Nothing of this run was left there.'));
    assert.equal(containerOf(s.engine).state, 'exited');
  });

  it('Ctrl-C during the upload: E_INTERRUPTED, and what this run made is removed', async () => {
    const s = await setUp();
    const controller = new AbortController();
    s.engine.delay('putArchive', 200);
    const failure = await s.failure({
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'phase-start' && event.phase === 'upload') setTimeout(() => controller.abort(), 20);
      },
    });
    assert.equal(failure.code, 'E_INTERRUPTED');
    assert.match(failure.message, /^Interrupted on the local engine while uploading the workspace \(upload step\)\. The half-created container pks-alice-app-\w+ and its new volume pks-alice-app-\w+-workspace were removed\.$/);
    assert.equal(failure.hint, 'Run the same command again to spawn.');
    assert.equal(s.engine.containers.size + s.engine.volumes.size, 0);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
