// Spawn side by side with its references, in one run (see bench/README.md):
//  1. fresh spawn of a small project (image present, one postCreateCommand):
//     `pks devcontainer rm --force --yes --volumes` + `pks devcontainer spawn`,
//     timed together, versus the reference `devcontainer up --remove-existing-container`;
//  2. the same pks spawn on a remote test host (r1) versus the local engine.
// Per-phase medians (from `spawn --format json`) show where the time goes.
// Run: node --import tsx bench/spawn.ts [--quick] [--runs N]

import path from 'node:path';
import { createBenchHome } from './lib/bench-home.js';
import { alternate, isMain, ratioRow, runsFor, runStandalone, samplesTable, type BenchOptions, type BenchResult } from './lib/runner.js';
import { freshSpawn, phaseTable, referenceUp, removeProject, smallProject, type PhaseLog } from './lib/spawn-runs.js';

export async function spawnBench(options: BenchOptions = {}): Promise<BenchResult> {
  const runs = runsFor(options, 5);
  const world = await createBenchHome('spawn');
  try {
    const { testEnv, runId } = world;
    const env = await world.pksHome('pks', [['r1', '--host', testEnv.r1.host]]);
    const projects = path.join(world.root, 'projects');
    const local = await smallProject(projects, `${runId}-local`, testEnv.images.debian);
    const reference = await smallProject(projects, `${runId}-ref`, testEnv.images.debian);
    const remote = await smallProject(projects, `${runId}-remote`, testEnv.images.debian);
    const phases: PhaseLog = new Map();
    process.stderr.write(`spawn: ${runs} runs of each, alternating\n`);
    const samples = await alternate(
      [
        { name: 'pks rm+spawn (local)', run: () => freshSpawn(env, local, undefined, phases, 'local') },
        { name: 'devcontainer up --remove-existing-container', run: () => referenceUp(world.base, reference, ['--remove-existing-container']) },
        { name: 'pks rm+spawn (remote r1)', run: () => freshSpawn(env, remote, 'r1', phases, 'remote r1') },
      ],
      runs,
    );
    await removeProject(env, local, undefined);
    await removeProject(env, remote, 'r1');
    const rows = [
      ratioRow('spawn', 'fresh spawn, small project (local)', samples, 'pks rm+spawn (local)', 'devcontainer up --remove-existing-container', 0.7),
      ratioRow('spawn', 'remote spawn vs local spawn', samples, 'pks rm+spawn (remote r1)', 'pks rm+spawn (local)', 1.3),
    ];
    const details = [
      `Small project (image ${testEnv.images.debian} present, one postCreateCommand); ${runs} runs each, alternating, after one warm-up round. pks: \`rm --force --yes --volumes\` + \`spawn --format json\`, timed together.`,
      '',
      ...samplesTable(samples),
      '',
      'Where pks spends it (medians): `rm process` is the preceding `pks devcontainer rm`; then the spawn process: `before first phase` (launch to its first event: Node start-up, CLI loading and, for a remote host, the SSH connection), the phases spawn reports in `timings` (`upload ∥ start` spans from the beginning of the upload to the end of the container start), `after last phase` (summary and exit), and its whole wall time (`spawn process`); from `--format json --log-format json`.',
      '',
      ...phaseTable(phases),
    ];
    return { name: 'spawn', rows, details };
  } finally {
    await world.cleanup();
  }
}

if (isMain(import.meta.url)) await runStandalone(spawnBench);
