// The workspace upload when the project changes between the moment its file
// set is planned and the moment a file is read: a file replaced by a symlink,
// its folder replaced by a symlink to another folder, a file replaced by a
// FIFO. Each spawn runs the core pipeline in a child process
// (upload-swap-child.ts) that makes the swap as the upload step starts, so
// the swap always falls between the plan and the read, and a spawn that
// hangs can still be ended (and the test fails instead of hanging too).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EngineClient } from '../../src/engine/index.js';
import { createProject, engineFor, leftovers, removeProjectResources, type Project, type Where } from '../helpers/projects.js';
import { STACK_TRACE, runProcess } from '../helpers/pks-cli.js';
import { loadTestEnv, repoRoot, type TestEnv } from '../helpers/test-env.js';

const CHILD = path.join(repoRoot, 'test', 'integration', 'upload-swap-child.ts');
/** Far above a spawn of a busybox project (a few seconds, over SSH too): reaching it means a hang. */
const BOUND_MS = 30_000;

let env: TestEnv;
let secrets: string;
const engines = new Map<Where, EngineClient>();
const projects: Array<{ project: Project; where: Where }> = [];

before(async () => {
  env = loadTestEnv();
  secrets = await mkdtemp(path.join(tmpdir(), 'pks-secrets-'));
  await writeFile(path.join(secrets, 'data.txt'), 'SECRET-OUTSIDE-THE-PROJECT\n');
  for (const where of ['local', 'r1'] as const) engines.set(where, await engineFor(env, where));
});

after(async () => {
  for (const { project, where } of projects) {
    await removeProjectResources(engines.get(where) as EngineClient, project.dir);
    await project.cleanup();
  }
  for (const engine of engines.values()) await engine.close();
  await rm(secrets, { recursive: true, force: true });
});

interface ChildOutcome {
  outcome: 'success' | 'error';
  swapped: boolean;
  code?: string;
  message?: string;
  hint?: string;
}

/** Spawns `dir` on `where`, replacing `swap` as the upload starts; killed (and failed: it hung) past BOUND_MS. */
async function spawnWithSwap(where: Where, dir: string, swap: string, kind: 'symlink' | 'fifo' | 'folder', target = ''): Promise<{ result: ChildOutcome; ms: number }> {
  const started = Date.now();
  const argv = [process.execPath, '--import', 'tsx', CHILD, where, dir, swap, kind, target];
  const { code, stdout, stderr } = await runProcess(argv, { env: process.env, cwd: repoRoot, timeoutMs: BOUND_MS }, 'the spawn (it hung, and was killed)');
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return { result: JSON.parse(last) as ChildOutcome, ms: Date.now() - started };
  } catch {
    throw new Error(`no outcome (exit ${code}): ${stdout}\n${stderr}`);
  }
}

async function project(where: Where): Promise<Project> {
  const created = await createProject(
    {
      '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }),
      'a.txt': 'a\n',
      'config/data.txt': 'planned content\n',
    },
    { git: false },
  );
  projects.push({ project: created, where });
  return created;
}

/** The spawn failed with E_UPLOAD_READ naming the file and what it became, and left nothing on the engine. */
async function assertCleanFailure(where: Where, p: Project, result: ChildOutcome, now: RegExp): Promise<void> {
  assert.equal(result.swapped, true, 'the upload step started');
  assert.equal(result.outcome, 'error', `the spawn must fail, not send what the path became: ${JSON.stringify(result)}`);
  assert.equal(result.code, 'E_UPLOAD_READ', result.message);
  assert.match(result.message ?? '', new RegExp(`^Reading the project failed during the upload: ${path.join(p.dir, 'config/data.txt').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was replaced after it was listed for the upload \\(it is now ${now.source}\\); nothing of it was sent\\.$`));
  assert.doesNotMatch(result.message ?? '', STACK_TRACE);
  assert.match(result.hint ?? '', /Run spawn again once nothing is writing to the project folder/);
  // As for any upload failure: the container and the volume this run created are gone.
  assert.deepEqual(await leftovers(engines.get(where) as EngineClient, p.dir), { containers: [], volumes: [] });
}

for (const where of ['local', 'r1'] as const) {
  describe(`a path replaced after the upload was planned (${where === 'local' ? 'local engine' : 'remote host r1'})`, () => {
    it('a file replaced by a symlink: its target is not sent', async () => {
      const p = await project(where);
      const { result } = await spawnWithSwap(where, p.dir, 'config/data.txt', 'symlink', path.join(secrets, 'data.txt'));
      await assertCleanFailure(where, p, result, /a symlink/);
    });

    it('the folder of a file replaced by a symlink to another folder: the file found there is not sent', async () => {
      const p = await project(where);
      const { result } = await spawnWithSwap(where, p.dir, 'config', 'folder', secrets);
      await assertCleanFailure(where, p, result, /another file/);
    });

    it('a file replaced by a FIFO: no hang, a clean error', async (t) => {
      const p = await project(where);
      const { result, ms } = await spawnWithSwap(where, p.dir, 'config/data.txt', 'fifo');
      await assertCleanFailure(where, p, result, /a FIFO/);
      t.diagnostic(`failed after ${ms} ms`);
    });
  });
}
