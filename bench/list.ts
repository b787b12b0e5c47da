// Wall time of `pks devcontainer list`, start to exit, side by side with a
// reference in the same run (see bench/README.md):
//   1. `list --remote r1`          vs  `docker -H ssh://pksdev@<r1> ps` (OpenSSH + docker CLI)
//   2. `list` on the local engine  vs  `node -e 0`
//   3. `list --all-remotes` with two registered hosts vs with one
// Variants run alternately, round by round, so machine noise hits them alike.
// Run: npm run build && node --import tsx bench/list.ts [--runs N] [--quick]
// (PKS_BENCH_BIN=/path/to/bin/pks.cjs measures another build instead.)

import { createBenchHome } from './lib/bench-home.js';
import { alternate, isMain, mustSucceed, pksBin, ratioRow, runsFor, runStandalone, runTimed, samplesTable, type BenchOptions, type BenchResult, type Variant } from './lib/runner.js';

export async function listBench(options: BenchOptions = {}): Promise<BenchResult> {
  const runs = runsFor(options, 10);
  const world = await createBenchHome('list');
  try {
    const { testEnv, base } = world;
    // Hosts registered by address only: user and key come from ~/.ssh/config, as the docker CLI's do.
    const oneHost = await world.pksHome('pks-one', [['r1', '--host', testEnv.r1.host]]);
    const twoHosts = await world.pksHome('pks-two', [
      ['r1', '--host', testEnv.r1.host],
      ['r2', '--host', testEnv.r2.host],
    ]);
    const variant = (name: string, argv: string[], env: NodeJS.ProcessEnv): Variant => ({
      name,
      run: async () => (await mustSucceed(name, runTimed(argv, { env }))).ms,
    });
    const pks = (...args: string[]): string[] => [process.execPath, pksBin, 'devcontainer', 'list', ...args];
    const variants: Variant[] = [
      variant('pks list --remote r1', pks('--remote', 'r1'), oneHost),
      variant('docker -H ssh:// ps', ['docker', '-H', `ssh://${testEnv.r1.user}@${testEnv.r1.host}`, 'ps'], base),
      variant('pks list (local)', pks(), oneHost),
      variant('node -e 0', [process.execPath, '-e', '0'], base),
      variant('docker ps (local)', ['docker', 'ps'], base),
      variant('pks list --all-remotes (1 host)', pks('--all-remotes'), oneHost),
      variant('pks list --all-remotes (2 hosts)', pks('--all-remotes'), twoHosts),
      // For the breakdown: the pieces a list is made of, each on its own.
      variant('pks --version (Node + CLI entry)', [process.execPath, pksBin, '--version'], oneHost),
      variant('node: import ssh2', [process.execPath, '--input-type=module', '-e', "await import('ssh2')"], base),
      variant('ssh r1 true (OpenSSH login + command)', ['ssh', `${testEnv.r1.user}@${testEnv.r1.host}`, 'true'], base),
    ];
    process.stderr.write(`list: ${runs} runs of ${variants.length} variants, alternating\n`);
    const samples = await alternate(variants, runs, 2);
    const rows = [
      ratioRow('list', 'remote host', samples, 'pks list --remote r1', 'docker -H ssh:// ps', 1.0),
      ratioRow('list', 'local engine', samples, 'pks list (local)', 'node -e 0', 3),
      ratioRow('list', '--all-remotes, 2 hosts vs 1', samples, 'pks list --all-remotes (2 hosts)', 'pks list --all-remotes (1 host)', 1.3),
    ];
    const details = [
      `${runs} runs each, alternating, after two warm-up rounds; wall time from spawn to exit. The last three commands are for the breakdown: Node plus pks's CLI entry (\`--version\`, no engine), Node importing ssh2 (outside the bundle), and an OpenSSH login running \`true\` (what the docker CLI's transport costs before docker itself).`,
      '',
      ...samplesTable(samples),
    ];
    return { name: 'list', rows, details };
  } finally {
    await world.cleanup();
  }
}

if (isMain(import.meta.url)) await runStandalone(listBench);
