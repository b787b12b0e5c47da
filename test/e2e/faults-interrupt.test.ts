// Ctrl-C (SIGINT) at each step of a spawn on the fault host pks-r3: while the
// configuration is read (initializeCommand keeps that step busy), while the
// image builds, while the workspace uploads and while a lifecycle hook runs.
// pks must stop within a bound with exit 130, name the host and the step,
// leave nothing of the run behind (or, once the container is ready, say that
// it kept it), and the same command must then succeed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { EngineClient } from '../../src/engine/index.js';
import { assertFailedClearly, engineInventory, holdFaultHost, runWithFault, seconds, settledInventory } from '../helpers/faults.js';
import { createSandbox, type Sandbox } from '../helpers/pks-cli.js';
import { containerExec, createProject, engineFor, leftovers, removeProjectResources, type Project } from '../helpers/projects.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';

const exec = promisify(execFile);
let env: TestEnv;
let sandbox: Sandbox;
let r3: EngineClient;
let release: () => Promise<void>;
const projects: Project[] = [];

before(async () => {
  env = loadTestEnv();
  release = await holdFaultHost();
  sandbox = await createSandbox({ knownHosts: env.knownHosts });
  const added = await sandbox.run(['remote', 'add', 'r3', '--host', env.r3.host, '--user', env.r3.user, '--key', env.r3.key, '--no-test']);
  assert.equal(added.code, 0, added.stderr);
  r3 = await engineFor(env, 'r3');
});

after(async () => {
  try {
    for (const p of projects) {
      await removeProjectResources(r3, p.dir);
      await p.cleanup();
    }
    await r3.close();
    await sandbox.cleanup();
  } finally {
    await release();
  }
});

async function project(files: Record<string, string>): Promise<Project> {
  const created = await createProject(files);
  projects.push(created);
  return created;
}

const spawnArgs = (dir: string): string[] => ['devcontainer', 'spawn', dir, '--remote', 'r3'];
const WHERE = 'Interrupted on remote host "r3" \\(pksdev@10\\.231\\.0\\.10\\) while ';

/**
 * Ctrl-C once `when` matches; exit 130 within the bound with the step named,
 * nothing of the run left on r3 (compared with the engine's inventory before
 * the run), then the same command succeeds.
 */
async function interruptAndRerun(p: Project, when: RegExp, step: string, options: { kept?: boolean; args?: string[] } = {}): Promise<{ ms: number | undefined; stderr: string }> {
  const inventory = await engineInventory(r3);
  const result = await runWithFault(sandbox, [...spawnArgs(p.dir), ...(options.args ?? [])], (o) => when.test(o.stderr), (child) => void child.kill('SIGINT'));
  assertFailedClearly(result, 130, [new RegExp(`${WHERE}${step}`), /Interrupted: cleaning up/]);
  if (options.kept === true) {
    assert.match(result.stderr, /The container pks-\S+ is kept; its lifecycle hooks did not all finish: run the same command again to resume/);
    assert.equal((await leftovers(r3, p.dir)).containers.length, 1);
  } else {
    assert.deepEqual(await leftovers(r3, p.dir), { containers: [], volumes: [] }, result.stderr);
    // Nothing unlabelled either (a build's intermediate container, say).
    assert.deepEqual(await settledInventory(r3, inventory), inventory, 'no container or volume of the run is left on r3');
  }
  const again = await sandbox.run(spawnArgs(p.dir), { timeoutMs: 180_000 });
  assert.equal(again.code, 0, again.stderr);
  return { ms: result.msToExit, stderr: result.stderr };
}

describe('Ctrl-C at each spawn step on pks-r3', () => {
  it('while the configuration is read (initializeCommand running)', async (t) => {
    const p = await project({
      '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', initializeCommand: 'sleep 5' }),
    });
    const { ms, stderr } = await interruptAndRerun(p, /▸ Reading the dev container configuration/, '(reading the configuration|running initializeCommand)');
    assert.match(stderr, /Nothing had been created yet\./);
    t.diagnostic(`Ctrl-C while reading the configuration: exit 130 after ${seconds(ms)}`);
  });

  it('while the image builds (RUN sleep 5)', async (t) => {
    const p = await project({
      '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
      // A step of its own each run, so no cache from an earlier run skips the sleep.
      '.devcontainer/Dockerfile': `FROM pks-test/busybox:latest\nRUN sleep 5 && echo ${Date.now()} > /built\n`,
    });
    // --verbose: BuildKit's log (without a terminal a build shows only its summary line).
    const { ms, stderr } = await interruptAndRerun(p, /RUN sleep 5/, 'preparing the image \\(image step\\)', { args: ['--verbose'] });
    assert.match(stderr, /Nothing had been created yet\./);
    t.diagnostic(`Ctrl-C during the image build: exit 130 after ${seconds(ms)}`);
  });

  it('while the workspace uploads', async (t) => {
    const p = await project({ '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }), 'small.txt': 'ok\n' });
    await exec('truncate', ['-s', '1G', path.join(p.dir, 'big.bin')]);
    const { ms, stderr } = await interruptAndRerun(p, /▸ Uploading/, 'uploading the workspace \\(upload step\\)');
    assert.match(stderr, /The half-created container pks-\S+ and its new volume pks-\S+ were removed\./);
    t.diagnostic(`Ctrl-C during the upload: exit 130 after ${seconds(ms)}`);
  });

  it('while a lifecycle hook runs (postCreateCommand: sleep 10): the container is kept and the next run finishes the hook', async (t) => {
    const p = await project({
      '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', postCreateCommand: 'sleep 10 && echo done >> /tmp/post-create' }),
    });
    const { ms } = await interruptAndRerun(p, /▸ postCreateCommand: sleep 10/, 'running the lifecycle hooks \\(hooks step\\)', { kept: true });
    t.diagnostic(`Ctrl-C during postCreateCommand: exit 130 after ${seconds(ms)}`);
    const [id = ''] = (await leftovers(r3, p.dir)).containers;
    const marker = await containerExec(r3, id, ['test', '-e', '/var/lib/pks/hooks/postCreateCommand']);
    assert.equal(marker.exitCode, 0, 'the rerun finished postCreateCommand');
  });
});
