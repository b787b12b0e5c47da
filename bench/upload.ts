// Workspace upload of a big project: 2,000 files of 100 KiB of random
// (incompressible) bytes, 200 MB. Spawned fresh on the local engine and on a
// remote test host, alternately; compared is the spawn's own `upload` phase
// (from `spawn --format json`), and pks's peak memory (GNU time) while it
// streams. Run: node --import tsx bench/upload.ts [--quick] [--runs N]

import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createBenchHome } from './lib/bench-home.js';
import { absoluteRow, alternate, isMain, mustSucceed, ratioRow, runTimed, runsFor, runStandalone, samplesTable, type BenchOptions, type BenchResult } from './lib/runner.js';
import { removeContainer, removeProject, spawnOnce } from './lib/spawn-runs.js';

async function bigProject(parent: string, name: string, image: string): Promise<string> {
  const dir = path.join(parent, name);
  await mkdir(path.join(dir, '.devcontainer'), { recursive: true });
  await writeFile(path.join(dir, '.devcontainer', 'devcontainer.json'), JSON.stringify({ image }));
  for (let d = 0; d < 20; d += 1) {
    await mkdir(path.join(dir, `d${d}`), { recursive: true });
    for (let f = 0; f < 100; f += 1) await writeFile(path.join(dir, `d${d}`, `f${f}.bin`), randomBytes(100 * 1024));
  }
  return dir;
}

export async function uploadBench(options: BenchOptions = {}): Promise<BenchResult> {
  // 200 MB written per run makes single runs scatter (±30%): more of them.
  const runs = runsFor(options, 9);
  const world = await createBenchHome('upload');
  try {
    const { testEnv, runId } = world;
    const env = await world.pksHome('pks', [['r1', '--host', testEnv.r1.host]]);
    const big = await bigProject(path.join(world.root, 'projects'), `${runId}-big`, testEnv.images.busybox);
    const memory: number[] = [];
    /** Whole spawn wall time and pks's CPU time (user + system), by variant: the first of each list is the warm-up's. */
    const extra = new Map<string, number[]>();
    const note = (name: string, value: number | undefined) => extra.set(name, [...(extra.get(name) ?? []), value ?? Number.NaN]);
    // Every run uploads into a volume of its own, and the volumes are removed
    // only at the end. Deleting 2,000 files and writing 2,000 new ones seconds
    // later made the filesystem here (ext4 without a journal) scan past the
    // recently deleted inodes (`recently_deleted` in a perf profile of the
    // engine's untar) — a cost that grew run after run and landed unevenly
    // between local and remote, not one of pks's.
    let volumes = 0;
    const uploadOf = (where: string | undefined, label: string) => async (): Promise<number> => {
      volumes += 1;
      const { result, outcome } = await spawnOnce(env, big, where, ['--volume-name', `${runId}-upload-${volumes}`], true);
      if (result.maxRssKiB !== undefined) memory.push(result.maxRssKiB / 1024);
      note(`spawn wall (${label})`, result.ms);
      note(`pks CPU time, user + system (${label})`, result.cpuMs);
      return outcome.timings.upload ?? Number.NaN;
    };
    // The floor of the SSH transport: OpenSSH carrying the same files (as a tar) to r1, discarded there.
    const sshFloor = `tar -C '${big}' -c . | ssh ${testEnv.r1.user}@${testEnv.r1.host} 'cat > /dev/null'`;
    // Each run starts with the previous runs' writes on disk: their writeback
    // (200 MB into a volume, then its removal) would otherwise land in
    // whichever upload comes next.
    const settle = async (where: string | undefined): Promise<void> => {
      await removeContainer(env, big, where);
      await mustSucceed('sync', runTimed(['sync'], { env: world.base }));
    };
    process.stderr.write(`upload: 200 MB / 2,000 files, ${runs} runs local and remote, alternating\n`);
    const samples = await alternate(
      [
        { name: 'upload phase (local)', prepare: () => settle(undefined), run: uploadOf(undefined, 'local') },
        { name: 'upload phase (remote r1)', prepare: () => settle('r1'), run: uploadOf('r1', 'remote r1') },
        { name: 'OpenSSH: the same files as one tar stream to r1, discarded', run: async () => (await mustSucceed('OpenSSH floor', runTimed(['sh', '-c', sshFloor], { env: world.base }))).ms },
      ],
      runs,
    );
    await removeProject(env, big, undefined);
    await removeProject(env, big, 'r1');
    const peak = Math.max(...memory);
    const rows = [
      ratioRow('upload', '200 MB / 2,000 files, remote vs local', samples, 'upload phase (remote r1)', 'upload phase (local)', 1.2),
      absoluteRow('upload', 'peak memory while uploading 200 MB', 'pks max RSS', peak, 'MiB', 200),
    ];
    const details = [
      `200 MB in 2,000 incompressible files, image ${testEnv.images.busybox}; ${runs} fresh spawns each, alternating, after one warm-up round, each into a new volume and after \`sync\` (the previous run's writes flushed); the figure is the spawn's \`upload\` phase. Peak memory: the highest max RSS (GNU time) of all those spawn processes. For scale, the SSH transport's floor: OpenSSH carrying the same files as one tar stream to r1 (\`${sshFloor.replace(big, '<project>')}\`).`,
      '',
      ...samplesTable(new Map([...samples, ...[...extra].map(([name, list]) => [name, list.slice(1)] as [string, number[]])])),
    ];
    return { name: 'upload', rows, details };
  } finally {
    await world.cleanup();
  }
}

if (isMain(import.meta.url)) await runStandalone(uploadBench);
