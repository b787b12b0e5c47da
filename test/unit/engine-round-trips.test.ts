// How many requests a command makes to the engine, and how many of them wait
// for one another (sequential round trips: on a remote host each costs the
// link's round-trip time, 20-100 ms on a real network). Counted on the
// in-memory engine as a remote one whose answers take a moment: a request's
// depth is one more than the deepest request that had answered when it was
// sent; the command's round trips are the deepest. The figures are today's
// (the round trips a ceiling, for a loaded machine): a change that adds a
// request, or makes one wait that did not, fails here (lower them when a
// change saves one).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { findDevcontainer, listDevcontainers } from '../../src/core/containers/discovery.js';
import { inspectForRemoval, removeDevcontainer } from '../../src/core/containers/lifecycle.js';
import { runSpawn } from '../../src/cli/commands/devcontainer/spawn-run.js';
import { CommandContext } from '../../src/cli/context.js';
import { spawnDevcontainer, type SpawnRequest } from '../../src/core/spawn/spawn.js';
import type { EngineClient } from '../../src/engine/index.js';
import { addDevcontainer } from '../helpers/fake-devcontainer.js';
import { FakeEngine } from '../helpers/fake-engine.js';
import { memoryIo } from '../helpers/memory-io.js';

const IMAGE = 'pks-test/busybox:latest';
const projects: string[] = [];
after(async () => {
  for (const dir of projects) await rm(dir, { recursive: true, force: true });
});

interface Counted {
  engine: EngineClient;
  /** Each request, with its depth. */
  requests: Array<{ call: string; depth: number }>;
  roundTrips(): number;
}

/** How long each fake request takes to answer. */
const LATENCY_MS = 25;
/** GET /info, the engine's slowest read, is asked for first, while the configuration is read: long enough to be in flight still. */
const SLOW: Record<string, number> = { info: 2_000 };

/** `fake` behind a proxy that gives each request its depth. */
function countRoundTrips(fake: FakeEngine): Counted {
  const requests: Counted['requests'] = [];
  let answeredDepth = 0;
  const engine = new Proxy(fake, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const before = target.calls.length;
        const depth = answeredDepth + 1;
        const result: unknown = Reflect.apply(value, target, args);
        // An engine request records itself as it starts (the fake's helpers do not).
        if (target.calls.length === before || !(result instanceof Promise)) return result;
        for (const call of target.calls.slice(before)) requests.push({ call, depth });
        // Each answer takes a moment, as over a network: what the command
        // sends meanwhile, without waiting for it, is in flight alongside.
        const answered = async (): Promise<void> => {
          await new Promise((resolve) => setTimeout(resolve, SLOW[String(property)] ?? LATENCY_MS));
          answeredDepth = Math.max(answeredDepth, depth);
        };
        return result.then(
          async (value: unknown) => {
            await answered();
            return value;
          },
          async (error: unknown) => {
            await answered();
            throw error;
          },
        );
      };
    },
  });
  return { engine, requests, roundTrips: () => Math.max(0, ...requests.map((r) => r.depth)) };
}

async function project(config: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pks-round-trips-'));
  projects.push(dir);
  await mkdir(path.join(dir, '.devcontainer'));
  await writeFile(path.join(dir, '.devcontainer', 'devcontainer.json'), JSON.stringify(config));
  await writeFile(path.join(dir, 'README.md'), '# app\n');
  return dir;
}

const show = (counted: Counted): string => counted.requests.map((r) => `${r.depth} ${r.call}`).join('\n');

/** A fresh spawn's request of a small project with one postCreateCommand, on `engine` as remote host r1. */
function spawnRequest(engine: EngineClient, dir: string): SpawnRequest {
  return {
    projectPath: dir,
    projectName: 'app',
    cwd: dir,
    env: {},
    localUser: 'alice',
    target: { engine, hostId: 'r1', description: 'remote host "r1"' },
    rebuild: 'auto',
    force: false,
    includeIgnored: false,
    host: { listFiles: async () => ['.devcontainer/devcontainer.json', 'README.md'], runInitializeCommand: async () => undefined },
  };
}

async function freshSpawn(): Promise<{ counted: Counted; request: SpawnRequest }> {
  const fake = new FakeEngine({ kind: 'ssh', target: 'remote host "r1"' });
  fake.addImage(IMAGE);
  const counted = countRoundTrips(fake);
  const dir = await project({ image: IMAGE, postCreateCommand: 'echo created > /tmp/created' });
  return { counted, request: spawnRequest(counted.engine, dir) };
}

describe('engine requests per command (remote engine)', () => {
  it('a fresh spawn of a small project with one postCreateCommand', async () => {
    const { counted, request } = await freshSpawn();
    await spawnDevcontainer(request);
    assert.ok(counted.roundTrips() <= SPAWN_ROUND_TRIPS, `${counted.roundTrips()} round trips:\n${show(counted)}`);
    assert.equal(counted.requests.length, SPAWN_REQUESTS, show(counted));
  });

  it('the same spawn with its text summary: the summary\'s list is asked for while the hooks run', async () => {
    const { counted, request } = await freshSpawn();
    const io = memoryIo({}, request.cwd);
    const result = await runSpawn(new CommandContext(io), 'text', request);
    assert.match(io.stderr.text + io.stdout.text, new RegExp(result.containerName.replace(/-\w+$/, '')));
    assert.equal(counted.requests.filter((r) => r.call === 'listContainers').length, 2, show(counted));
    assert.ok(counted.roundTrips() <= SPAWN_ROUND_TRIPS, `${counted.roundTrips()} round trips:\n${show(counted)}`);
    assert.equal(counted.requests.length, SPAWN_REQUESTS + 1, show(counted));
  });

  it('three hooks: each hook\'s record is written alongside the next hook, only the last one waited for', async () => {
    const fake = new FakeEngine({ kind: 'ssh', target: 'remote host "r1"' });
    fake.addImage(IMAGE);
    const counted = countRoundTrips(fake);
    const dir = await project({ image: IMAGE, onCreateCommand: 'echo one', postCreateCommand: 'echo two', postStartCommand: 'echo three' });
    await spawnDevcontainer(spawnRequest(counted.engine, dir));
    const records = counted.requests.filter((r) => r.call.startsWith('putArchive') && r.call.endsWith(' /'));
    assert.equal(records.length, 3, show(counted));
    // Before the hooks: as a spawn with one hook; then 2 requests per hook (exec create, start) and the last record.
    assert.ok(counted.roundTrips() <= SPAWN_ROUND_TRIPS - 3 + 2 * 3 + 1, `${counted.roundTrips()} round trips:\n${show(counted)}`);
    assert.equal(counted.requests.filter((r) => r.call.startsWith('inspectExec')).length, 0, show(counted));
  });

  it('the free disk, slower to answer than the engine, is not waited for before the container is made; a refusal still removes it', async () => {
    const fake = new FakeEngine({ kind: 'ssh', target: 'remote host "r1"' });
    fake.addImage(IMAGE);
    fake.diskFree = 1024 ** 2;
    fake.delay('hostDiskFree', 300);
    const counted = countRoundTrips(fake);
    const dir = await project({ image: IMAGE, postCreateCommand: 'echo created > /tmp/created' });
    await assert.rejects(spawnDevcontainer(spawnRequest(counted.engine, dir)), (error: unknown) => isPksError(error) && error.code === 'E_DISK_FULL');
    const calls = counted.requests.map((r) => r.call.split(' ')[0]);
    assert.ok(calls.includes('createContainer') && calls.includes('startContainer'), show(counted));
    assert.ok(!calls.includes('createExec'), `no hook runs before the answer:\n${show(counted)}`);
    assert.equal(fake.containers.size, 0, 'the container is removed');
    assert.equal(fake.volumes.size, 0, 'the new volume is removed');
  });

  it('a pull waits for the free disk', async () => {
    const fake = new FakeEngine({ kind: 'ssh', target: 'remote host "r1"' });
    fake.registry.add(IMAGE);
    fake.diskFree = 1024 ** 2;
    fake.delay('hostDiskFree', 300);
    const dir = await project({ image: IMAGE });
    await assert.rejects(spawnDevcontainer(spawnRequest(fake, dir)), (error: unknown) => isPksError(error) && error.code === 'E_DISK_FULL');
    assert.equal(fake.images.size, 0, 'nothing pulled');
    assert.equal(fake.containers.size, 0);
  });

  it('a host short of CPUs and of storage: one warning names both, also when the free disk comes in late', async () => {
    const fake = new FakeEngine({ kind: 'ssh', target: 'remote host "r1"' });
    fake.addImage(IMAGE);
    fake.delay('hostDiskFree', 300);
    const dir = await project({ image: IMAGE, hostRequirements: { cpus: 8, storage: '1tb' } });
    const warnings: string[] = [];
    await spawnDevcontainer({ ...spawnRequest(fake, dir), onEvent: (event) => event.type === 'warning' && warnings.push(event.message) });
    assert.deepEqual(warnings.filter((message) => message.includes('hostRequirements')), [
      `remote host "r1" has less than the configuration's hostRequirements ask for (8 CPUs asked for, 4 available; storage: 1.0 TiB asked for, 100.0 GiB free); a bigger host can be chosen with --remote <id>`,
    ]);
  });

  it('rm --volumes of a stopped dev container: the list that finds it says what an inspect would', async () => {
    const fake = new FakeEngine({ kind: 'ssh', target: 'remote host "r1"' });
    addDevcontainer(fake, 'pks-alice-app', { volume: true, state: 'exited' });
    const counted = countRoundTrips(fake);
    const { container } = await findDevcontainer(counted.engine, { query: 'pks-alice-app', cwd: '/', host: 'r1', where: 'remote host "r1"', remoteFlag: ' --remote r1', user: 'alice' });
    const outcome = await removeDevcontainer(counted.engine, await inspectForRemoval(counted.engine, container), { volumes: true });
    assert.deepEqual(outcome.volume, { name: 'pks-alice-app-workspace', action: 'removed' });
    assert.equal(counted.roundTrips(), 3, show(counted));
    assert.deepEqual(counted.requests.map((r) => r.call.split(' ')[0]), ['listContainers', 'removeContainer', 'removeVolume'], show(counted));
  });

  it('a list of the dev containers', async () => {
    const fake = new FakeEngine({ kind: 'ssh', target: 'remote host "r1"' });
    addDevcontainer(fake, 'pks-alice-app', { volume: true });
    const counted = countRoundTrips(fake);
    const listed = await listDevcontainers(counted.engine, 'r1', { all: true });
    assert.equal(listed.length, 1);
    assert.equal(counted.roundTrips(), 1, show(counted));
    assert.equal(counted.requests.length, 1, show(counted));
  });
});

/**
 * {info (asked for while the configuration is read), container lookup,
 * image, free disk, volume} at once, container create (the engine makes the
 * new volume with it), {upload, inspect}, start, exec create, exec start,
 * the hook's record (/etc/passwd is not read for root; the hook's exec finds
 * a container that stopped, so none waits for an inspect after the start;
 * the hook's shell reports its exit code, so no exec inspect).
 */
const SPAWN_ROUND_TRIPS = 7;
const SPAWN_REQUESTS = 12;
