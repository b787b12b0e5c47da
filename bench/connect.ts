// Reconnecting to a running dev container, side by side in one run:
//   1. `pks devcontainer connect <name> --remote r1 --print-uri` versus the
//      reference `devcontainer up --workspace-folder <dir>` on its existing
//      container (local: the reference CLI has no remote engines);
//   2. the same connect on the local engine, against the same reference.
// Both sides find the container and answer with where to attach; neither
// runs postCreateCommand again. Run: node --import tsx bench/connect.ts [--quick] [--runs N]

import path from 'node:path';
import { createBenchHome } from './lib/bench-home.js';
import { alternate, isMain, mustSucceed, pksBin, ratioRow, runsFor, runStandalone, runTimed, samplesTable, type BenchOptions, type BenchResult, type Variant } from './lib/runner.js';
import { referenceUp, removeProject, smallProject, spawnOnce } from './lib/spawn-runs.js';

export async function connectBench(options: BenchOptions = {}): Promise<BenchResult> {
  const runs = runsFor(options, 10);
  const world = await createBenchHome('connect');
  try {
    const { testEnv, runId } = world;
    const env = await world.pksHome('pks', [['r1', '--host', testEnv.r1.host]]);
    const projects = path.join(world.root, 'projects');
    const local = await smallProject(projects, `${runId}-local`, testEnv.images.debian);
    const remote = await smallProject(projects, `${runId}-remote`, testEnv.images.debian);
    const reference = await smallProject(projects, `${runId}-ref`, testEnv.images.debian);
    process.stderr.write('connect: spawning the containers to connect to\n');
    const localName = (await spawnOnce(env, local, undefined)).outcome.containerName;
    const remoteName = (await spawnOnce(env, remote, 'r1')).outcome.containerName;
    await referenceUp(world.base, reference);

    const connect = (name: string, remoteId: string | undefined): Variant['run'] => async () => {
      const result = await mustSucceed(`connect ${name}`, runTimed([process.execPath, pksBin, 'devcontainer', 'connect', name, ...(remoteId === undefined ? [] : ['--remote', remoteId]), '--print-uri'], { env }));
      if (!result.stdout.startsWith('vscode-remote://')) throw new Error(`connect printed no URI: ${result.stdout}`);
      return result.ms;
    };
    const variants: Variant[] = [
      { name: 'pks connect --remote r1 --print-uri', run: connect(remoteName, 'r1') },
      { name: 'devcontainer up (existing container)', run: () => referenceUp(world.base, reference) },
      { name: 'pks connect --print-uri (local)', run: connect(localName, undefined) },
      // For scale: what any remote command pays (Node, CLI, SSH connection, one list).
      { name: 'pks list --remote r1', run: async () => (await mustSucceed('list', runTimed([process.execPath, pksBin, 'devcontainer', 'list', '--remote', 'r1'], { env }))).ms },
    ];
    process.stderr.write(`connect: ${runs} runs of ${variants.length} variants, alternating\n`);
    const samples = await alternate(variants, runs, 2);
    await removeProject(env, local, undefined);
    await removeProject(env, remote, 'r1');
    const rows = [
      ratioRow('connect', 'remote connect vs reference on an existing container', samples, 'pks connect --remote r1 --print-uri', 'devcontainer up (existing container)', 1.0),
      ratioRow('connect', 'local connect vs reference on an existing container', samples, 'pks connect --print-uri (local)', 'devcontainer up (existing container)', 1.0),
    ];
    const details = [
      `Running containers (image ${testEnv.images.debian}, one postCreateCommand, already run); ${runs} runs each, alternating, after two warm-up rounds; wall time from spawn to exit.`,
      '',
      ...samplesTable(samples),
    ];
    return { name: 'connect', rows, details };
  } finally {
    await world.cleanup();
  }
}

if (isMain(import.meta.url)) await runStandalone(connectBench);
