// Network faults on the fault host pks-r3, against the built binary: the link
// cut during an upload, during `logs --follow` and during `list
// --all-remotes`; sshd killed mid-spawn; the engine stopped while SSH stays
// up. Each time pks must give up within a bound, name the host and the step,
// leave nothing behind but what it says (a resumable state), and succeed when
// run again once the fault is repaired. Ctrl-C: faults-interrupt.test.ts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { EngineClient } from '../../src/engine/index.js';
import {
  assertFailedClearly,
  assertLeftAsSaid,
  openFaultSuite,
  runWithFault,
  seconds,
  writeFastSshConfig,
  type FaultHost,
} from '../helpers/faults.js';
import type { Sandbox } from '../helpers/pks-cli.js';
import { containerExec, createProject, engineFor, leftovers, removeProjectResources, type Project, type Where } from '../helpers/projects.js';
import type { TestEnv } from '../helpers/test-env.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
let env: TestEnv;
let sandbox: Sandbox;
let faults: FaultHost;
let release: () => Promise<void>;
const engines = new Map<Where, EngineClient>();
const projects: Array<{ project: Project; where: Where }> = [];

before(async () => {
  ({ env, sandbox, faults, release } = await openFaultSuite(['r1', 'r3'], writeFastSshConfig));
  for (const where of ['local', 'r3'] as const) engines.set(where, await engineFor(env, where));
});

after(async () => {
  try {
    await repair();
    for (const { project, where } of projects) {
      await removeProjectResources(engine(where), project.dir);
      await project.cleanup();
    }
    await sandbox.cleanup();
  } finally {
    for (const client of engines.values()) await client.close();
    await release();
  }
});

/**
 * Repairs r3 and reconnects this process's own client: a restarted sshd
 * (and engine) leaves an old session looking at the old engine socket.
 */
/** Repairs the fault host (everything, or only its link, engine and sshd) and reconnects the test's own client to it. */
async function repair(what: 'all' | 'host' = 'all'): Promise<number> {
  const ms = what === 'all' ? await faults.repair() : await faults.repairHost();
  await engines.get('r3')?.close();
  engines.set('r3', await engineFor(env, 'r3'));
  return ms;
}

function engine(where: Where): EngineClient {
  const client = engines.get(where);
  if (client === undefined) throw new Error(`no engine for ${where}`);
  return client;
}

async function project(where: Where, files: Record<string, string>): Promise<Project> {
  const created = await createProject(files);
  projects.push({ project: created, where });
  return created;
}

const BUSYBOX = JSON.stringify({ image: 'pks-test/busybox:latest' });
const spawnArgs = (dir: string, where: Where = 'r3'): string[] => ['devcontainer', 'spawn', dir, ...(where === 'local' ? [] : ['--remote', where])];
const uploading = (o: { stderr: string }): boolean => /▸ Uploading/.test(o.stderr);
/** Bytes this machine has sent to r3 over its link (the fault suites hold r3: nothing else talks to it). */
const sentToR3 = async (): Promise<number> => Number(await readFile(`/sys/class/net/${env.r3.link}/statistics/tx_bytes`, 'utf8'));
/** Runs `work` once the upload is under way: another MiB has gone to r3 since the "Uploading" line. */
const midUpload = (work: () => Promise<void>) => async (): Promise<void> => {
  const before = await sentToR3();
  await waitFor(async () => (await sentToR3()) - before >= 1024 * 1024, { timeoutMs: 30_000, intervalMs: 20, message: 'the upload to r3 did not get under way' });
  await work();
};

/** A project whose upload lasts long enough to break: a 1 GiB sparse file. */
async function bigProject(): Promise<Project> {
  const p = await project('r3', { '.devcontainer/devcontainer.json': BUSYBOX, 'small.txt': 'ok\n' });
  await exec('truncate', ['-s', '1G', path.join(p.dir, 'big.bin')]);
  return p;
}

/** After the repair, the same command converges: one running container holding the whole workspace. */
async function assertRerunConverges(p: Project): Promise<void> {
  const again = await sandbox.run(spawnArgs(p.dir), { timeoutMs: 240_000 });
  assert.equal(again.code, 0, again.stderr);
  const left = await leftovers(engine('r3'), p.dir);
  assert.equal(left.containers.length, 1, JSON.stringify(left));
  const size = await containerExec(engine('r3'), left.containers[0] ?? '', ['stat', '-c', '%s', `/workspaces/${p.name}/big.bin`]);
  assert.equal(size.stdout.trim(), String(1024 ** 3), 'the whole workspace arrived');
}

describe('faults on the fault host pks-r3', () => {
  it('link cut during the workspace upload', async (t) => {
    const p = await bigProject();
    const result = await runWithFault(sandbox, spawnArgs(p.dir), uploading, midUpload(() => faults.cutLink()));
    assertFailedClearly(result, 1, [/Lost the connection to remote host "r3" \(pksdev@10\.231\.0\.10\) while uploading the workspace \(upload step\)/]);
    t.diagnostic(`link cut during upload: pks exited ${seconds(result.msToExit)} after the cut`);
    t.diagnostic(`repair (scripts/test-env.sh up): ${seconds(await repair())}`);
    t.diagnostic(`left behind: ${await assertLeftAsSaid(engine('r3'), p.dir, result.stderr)}`);
    await assertRerunConverges(p);
  });

  it('sshd killed mid-spawn (during the upload), staying down', async (t) => {
    const p = await bigProject();
    const result = await runWithFault(sandbox, spawnArgs(p.dir), uploading, midUpload(() => faults.killSshd()));
    assertFailedClearly(result, 1, [/remote host "r3" \(pksdev@10\.231\.0\.10\) while uploading the workspace \(upload step\)/]);
    t.diagnostic(`sshd killed during upload: pks exited ${seconds(result.msToExit)} after the kill`);
    await repair();
    assert.equal(await assertLeftAsSaid(engine('r3'), p.dir, result.stderr), 'resumable', 'with sshd down nothing could be removed');
    await assertRerunConverges(p);
  });

  it('sshd restarted mid-spawn: the clean-up reconnects and removes what the run created', async (t) => {
    const p = await bigProject();
    let repaired: Promise<number> | undefined;
    const result = await runWithFault(sandbox, spawnArgs(p.dir), uploading, midUpload(async () => {
      await faults.killSshd();
      repaired = repair('host'); // sshd is back within the reconnection retries (a whole `up` can take longer on a busy machine)
    }));
    await repaired;
    assertFailedClearly(result, 1, [
      /while uploading the workspace \(upload step\)/,
      /warning: pksdev@10\.231\.0\.10:22: SSH reconnection failed \(.*connection refused.*\); retrying \(2\/3\) in 2 s…/,
    ]);
    const left = await assertLeftAsSaid(engine('r3'), p.dir, result.stderr);
    t.diagnostic(`sshd restarted during upload: pks exited ${seconds(result.msToExit)} after the kill; left behind: ${left}`);
    assert.equal(left, 'removed', result.stderr);
    assert.match(result.stderr, /The half-created container pks-\S+ and its new volume pks-\S+ were removed\./);
    await assertRerunConverges(p);
  });

  it('the engine stopped while SSH stays up: list and spawn name the host and its Docker socket', async (t) => {
    const p = await project('r3', { '.devcontainer/devcontainer.json': BUSYBOX });
    await faults.stopEngine();
    try {
      const socket = /Docker socket \/var\/run\/docker\.sock on 10\.231\.0\.10 .*the engine is not running/;
      const list = await runWithFault(sandbox, ['devcontainer', 'list', '--remote', 'r3'], 'before', () => undefined);
      assertFailedClearly(list, 1, [socket]);
      const spawned = await runWithFault(sandbox, spawnArgs(p.dir), 'before', () => undefined);
      assertFailedClearly(spawned, 1, [socket, /Failed on remote host "r3" \(pksdev@10\.231\.0\.10\) while (checking the host|looking for an existing container)/]);
      assert.match(spawned.stderr, /Nothing of this run was left there\./);
      t.diagnostic(`engine stopped: list failed in ${seconds(list.msToExit)}, spawn in ${seconds(spawned.msToExit)}`);
    } finally {
      await repair();
    }
    assert.deepEqual(await leftovers(engine('r3'), p.dir), { containers: [], volumes: [] });
    const again = await sandbox.run(spawnArgs(p.dir), { timeoutMs: 120_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await sandbox.run(['devcontainer', 'list', '--remote', 'r3'])).code, 0);
  });

  it('link cut during logs --follow', async (t) => {
    const p = await project('r3', { '.devcontainer/devcontainer.json': BUSYBOX });
    const spawned = await sandbox.run(spawnArgs(p.dir), { timeoutMs: 120_000 });
    assert.equal(spawned.code, 0, spawned.stderr);
    const [id = ''] = (await leftovers(engine('r3'), p.dir)).containers;
    await containerExec(engine('r3'), id, ['sh', '-c', 'echo before-the-cut > /proc/1/fd/1']);
    const args = ['devcontainer', 'logs', '--follow', id.slice(0, 12), '--remote', 'r3'];
    const result = await runWithFault(sandbox, args, (o) => o.stdout.includes('before-the-cut'), () => faults.cutLink());
    assertFailedClearly(result, 1, [/Lost the connection to the engine \(remote host "r3" \(pksdev@10\.231\.0\.10(:22)?\)\) while following the logs of pks-/]);
    t.diagnostic(`link cut during logs --follow: pks exited ${seconds(result.msToExit)} after the cut`);
    await repair();
    await containerExec(engine('r3'), id, ['sh', '-c', 'echo after-the-repair > /proc/1/fd/1']);
    // The same command again: it follows until Ctrl-C, which ends it with 0.
    const again = await runWithFault(sandbox, args, (o) => o.stdout.includes('after-the-repair'), (child) => void child.kill('SIGINT'), 60_000);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /before-the-cut\n[\s\S]*after-the-repair\n/);
  });

  it('link cut during list --all-remotes: the other engines are still listed', async (t) => {
    const local = await project('local', { '.devcontainer/devcontainer.json': BUSYBOX });
    const onLocal = await sandbox.run(spawnArgs(local.dir, 'local'), { timeoutMs: 120_000 });
    assert.equal(onLocal.code, 0, onLocal.stderr);
    const onR3 = await project('r3', { '.devcontainer/devcontainer.json': BUSYBOX });
    assert.equal((await sandbox.run(spawnArgs(onR3.dir), { timeoutMs: 120_000 })).code, 0);
    const args = ['devcontainer', 'list', '--all-remotes', '--format', 'json'];
    const result = await runWithFault(sandbox, args, 'before', () => faults.cutLink());
    assertFailedClearly(result, 1, [/error: remote host "r3" \(pksdev@10\.231\.0\.10\): Cannot reach 10\.231\.0\.10 port 22 over SSH/, /1 of 3 engines could not be listed \(r3\)/]);
    t.diagnostic(`link cut during list --all-remotes: pks exited ${seconds(result.msToExit)} after the cut`);
    const listed = JSON.parse(result.stdout) as Array<{ projectPath: string; host: string }>;
    assert.ok(listed.some((c) => c.projectPath === local.dir && c.host === 'local'), 'the local engine is listed');
    assert.ok(!listed.some((c) => c.host === 'r3'));
    await repair();
    const again = await sandbox.run(args);
    assert.equal(again.code, 0, again.stderr);
    assert.ok((JSON.parse(again.stdout) as Array<{ projectPath: string }>).some((c) => c.projectPath === onR3.dir), 'r3 is listed again');
  });
});
