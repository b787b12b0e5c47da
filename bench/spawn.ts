// Spawn side by side with its references, in one run (see bench/README.md):
//  1. fresh spawn of a small project (image present, one postCreateCommand):
//     `pks devcontainer rm --force --yes --volumes` + `pks devcontainer spawn`
//     versus the reference `devcontainer up --remove-existing-container`;
//  2. the same pks spawn on a remote test host versus the local engine;
//  3. a 200 MB / 2,000-file project: upload time on a remote host versus the
//     local engine (the spawn's own `upload` phase timing), and pks's peak
//     memory while uploading it.
// Run: node --import tsx bench/spawn.ts [--quick]

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadTestEnv } from '../test/helpers/test-env.js';
import { alternate, benchHome, comparisonTable, machineLine, median, mustSucceed, pksBin, repoRoot, runTimed } from './lib/runner.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 5;
const env = loadTestEnv();
const benchEnv = await benchHome(env);
const work = await mkdtemp(path.join(os.tmpdir(), 'pks-bench-spawn-'));

async function smallProject(name: string): Promise<string> {
  const dir = path.join(work, name);
  await mkdir(path.join(dir, '.devcontainer'), { recursive: true });
  await writeFile(path.join(dir, '.devcontainer', 'devcontainer.json'), JSON.stringify({ image: env.images.debian, postCreateCommand: 'echo created > /tmp/created' }));
  await writeFile(path.join(dir, 'README.md'), '# bench\n');
  return dir;
}

/** 2,000 files of 100 KiB of random (incompressible) bytes: 200 MB. */
async function bigProject(): Promise<string> {
  const dir = path.join(work, 'big');
  await mkdir(path.join(dir, '.devcontainer'), { recursive: true });
  await writeFile(path.join(dir, '.devcontainer', 'devcontainer.json'), JSON.stringify({ image: env.images.busybox }));
  for (let d = 0; d < 20; d += 1) {
    await mkdir(path.join(dir, `d${d}`), { recursive: true });
    for (let f = 0; f < 100; f += 1) await writeFile(path.join(dir, `d${d}`, `f${f}.bin`), randomBytes(100 * 1024));
  }
  return dir;
}

const pks = (args: string[], measureMemory = false) => runTimed([process.execPath, pksBin, ...args], { env: benchEnv, measureMemory });
const remoteArgs = (where: 'local' | 'r1') => (where === 'local' ? [] : ['--remote', where]);

async function freshPksSpawn(dir: string, where: 'local' | 'r1'): Promise<number> {
  const start = performance.now();
  // Ignore rm's outcome: the first run has nothing to remove.
  await pks(['devcontainer', 'rm', path.basename(dir), '--force', '--yes', '--volumes', ...remoteArgs(where)]);
  await mustSucceed('pks spawn', pks(['devcontainer', 'spawn', dir, '--no-launch', ...remoteArgs(where)]));
  return performance.now() - start;
}

async function referenceUp(dir: string): Promise<number> {
  const devcontainer = path.join(repoRoot, 'node_modules', '.bin', 'devcontainer');
  const result = await mustSucceed('devcontainer up', runTimed([devcontainer, 'up', '--workspace-folder', dir, '--remove-existing-container'], { env: { ...process.env, HOME: benchEnv.HOME } }));
  return result.ms;
}

try {
  const local = await smallProject('bench-small');
  const reference = await smallProject('bench-small-ref');
  const remote = await smallProject('bench-small-remote');
  process.stderr.write(`spawn: ${RUNS} runs of each, alternating\n`);
  const samples = await alternate(
    [
      { name: 'pks rm+spawn (local)', run: () => freshPksSpawn(local, 'local') },
      { name: 'devcontainer up --remove-existing-container', run: () => referenceUp(reference) },
      { name: 'pks rm+spawn (remote r1)', run: () => freshPksSpawn(remote, 'r1') },
    ],
    RUNS,
  );

  process.stderr.write('upload: 200 MB / 2,000 files, local and remote\n');
  const big = await bigProject();
  const uploads = new Map<string, number[]>([['upload local', []], ['upload remote r1', []]]);
  const memory: number[] = [];
  for (let round = 0; round < (quick ? 1 : 3); round += 1) {
    for (const where of ['local', 'r1'] as const) {
      await pks(['devcontainer', 'rm', 'big', '--force', '--yes', '--volumes', ...remoteArgs(where)]);
      const result = await mustSucceed('pks spawn (big)', pks(['devcontainer', 'spawn', big, '--format', 'json', ...remoteArgs(where)], true));
      const timings = (JSON.parse(result.stdout) as { timings: { upload?: number } }).timings;
      uploads.get(where === 'local' ? 'upload local' : 'upload remote r1')?.push(timings.upload ?? Number.NaN);
      if (result.maxRssKiB !== undefined) memory.push(result.maxRssKiB / 1024);
    }
  }
  for (const where of ['local', 'r1'] as const) await pks(['devcontainer', 'rm', 'big', '--force', '--yes', '--volumes', ...remoteArgs(where)]);
  for (const [dir, where] of [[local, 'local'], [remote, 'r1']] as const) {
    await pks(['devcontainer', 'rm', path.basename(dir), '--force', '--yes', '--volumes', ...remoteArgs(where)]);
  }
  await runTimed(['docker', 'rm', '-f', ...(await runTimed(['docker', 'ps', '-aq', '--filter', `label=devcontainer.local_folder=${reference}`])).stdout.split('\n').filter(Boolean)]);

  const all = new Map([...samples, ...uploads]);
  const table = comparisonTable(all, [
    { what: 'fresh spawn, small project', ours: 'pks rm+spawn (local)', reference: 'devcontainer up --remove-existing-container', target: '≤ 0.7×', bound: 0.7 },
    { what: 'remote spawn vs local spawn', ours: 'pks rm+spawn (remote r1)', reference: 'pks rm+spawn (local)', target: '≤ 1.3×', bound: 1.3 },
    { what: '200 MB upload, remote vs local', ours: 'upload remote r1', reference: 'upload local', target: '≤ 1.2×', bound: 1.2 },
  ]);
  const peak = Math.max(...memory);
  const report = [
    `### spawn (${new Date().toISOString().slice(0, 10)}, ${machineLine()}, ${RUNS} runs each${quick ? ', --quick' : ''})`,
    '',
    table,
    '',
    `Peak memory of pks while uploading 200 MB: ${peak.toFixed(0)} MiB (target ≤ 200 MiB: ${peak <= 200 ? 'met' : 'not met'}); median upload local ${median(uploads.get('upload local') ?? []).toFixed(0)} ms.`,
  ].join('\n');
  process.stdout.write(`${report}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
