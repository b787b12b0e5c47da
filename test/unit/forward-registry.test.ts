// The registry of forwards in force: one 0600 file per running process,
// removed when it ends; entries of processes that are gone are ignored and
// removed, and files that are not entries are left alone.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { activeForwards, forwardRegistryDir, forwardsTo, registerForwards } from '../../src/store/forward-registry.js';

let root: string;
let env: NodeJS.ProcessEnv;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'pks-forward-registry-'));
  env = { PKS_HOME: path.join(root, 'pks') };
});
after(() => rm(root, { recursive: true, force: true }));

const entry = { hostId: 'r1', containerId: 'c'.repeat(64), containerName: 'pks-me-api-1a2b3c4d', address: '172.17.0.2', forwards: [{ localPort: 3000, containerPort: 3000, label: 'web' }] };

/** A pid no process has now. */
function deadPid(): number {
  return 2 ** 22 + 17; // above pid_max's default range (4194304): never a live process here
}

describe('forward registry', () => {
  it('records this process\'s forwards in a private file until they end', async () => {
    const unregister = await registerForwards(env, entry);
    const dir = forwardRegistryDir(env);
    const file = path.join(dir, `${process.pid}.json`);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const active = await activeForwards(env);
    assert.deepEqual(forwardsTo(active, 'r1', entry.containerId), [{ localPort: 3000, containerPort: 3000, label: 'web', pid: process.pid }]);
    assert.deepEqual(forwardsTo(active, 'local', entry.containerId), [], 'the same container ID on another host is another container');
    await unregister();
    assert.deepEqual(await activeForwards(env), []);
    await assert.rejects(stat(file), { code: 'ENOENT' });
  });

  it('ignores and removes the entry of a process that is gone; leaves other files alone', async () => {
    const dir = forwardRegistryDir(env);
    const pid = deadPid();
    const stale = path.join(dir, `${pid}.json`);
    await writeFile(stale, JSON.stringify({ version: 1, pid, startedAt: new Date().toISOString(), ...entry }), { mode: 0o600 });
    await writeFile(path.join(dir, 'notes.txt'), 'not an entry');
    await writeFile(path.join(dir, `${process.pid}.json`), '{ not json');
    assert.deepEqual(await activeForwards(env), []);
    assert.deepEqual((await readdir(dir)).sort(), [`${process.pid}.json`, 'notes.txt'].sort());
  });
});
