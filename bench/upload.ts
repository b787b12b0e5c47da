// Workspace upload of a big project: 2,000 files of 100 KiB of random
// (incompressible) bytes, 200 MB. Spawned fresh on the local engine and on a
// remote test host, alternately; compared is the spawn's own `upload` phase
// (from `spawn --format json`), and pks's peak memory (GNU time) while it
// streams. Then the same upload on r1 over a slow link, through the latency
// relay at 50 and 100 ms round trip (`--quick`: 50), against OpenSSH
// carrying the same tar stream through the same relay into the same kind of
// target (see `openSshPut`), and the docker CLI's `docker cp` over OpenSSH
// for scale.
// Run: node --import tsx bench/upload.ts [--quick] [--runs N]

import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createBenchHome } from './lib/bench-home.js';
import { absoluteRow, alternate, isMain, mustSucceed, pksBin, ratioRow, runTimed, runsFor, runStandalone, samplesTable, type BenchOptions, type BenchResult, type Variant } from './lib/runner.js';
import { relayedR1 } from './lib/relayed-host.js';
import { removeContainer, removeProject, spawnOnce } from './lib/spawn-runs.js';

const hostId = (rtt: number): string => `r1rtt${rtt}`;
const PKS_SLOW = (rtt: number): string => `upload phase (r1 @ ${rtt} ms RTT)`;
const SSH_SLOW = (rtt: number): string => `OpenSSH: PUT archive of the same tar, forwarded socket (r1 @ ${rtt} ms RTT)`;
const CLI_SLOW = (rtt: number): string => `docker CLI over OpenSSH: docker cp of the same tar (r1 @ ${rtt} ms RTT)`;
const CLI_EMPTY = (rtt: number): string => `docker CLI over OpenSSH: docker cp of an empty tar (r1 @ ${rtt} ms RTT)`;

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

/** The project as GNU tar makes it (extracted in /workspaces, as pks's archive is), or an empty tar. */
const tarOf = (projects: string, project: string | undefined): string => (project === undefined ? 'tar -c -T /dev/null' : `tar -c -C '${projects}' '${project}'`);

/**
 * The reference over the slow link: OpenSSH carrying the same tar stream with
 * the same request into the same kind of target. OpenSSH forwards a local
 * socket to r1's docker socket (`ssh -O forward -L <sock>:/var/run/docker.sock`
 * on a shared connection opened before the run, as pks's connection is up
 * before its upload phase): each connection to it is the same
 * `direct-streamlocal` channel pks opens, with the same server window. curl
 * sends `PUT /containers/{id}/archive` through it into a created, not started,
 * container whose /workspaces is a new volume: what pks does.
 */
function openSshPut(socket: string, container: string, projects: string, project: string): string[] {
  const url = `http://docker/v1.41/containers/${container}/archive?path=%2Fworkspaces&noOverwriteDirNonDir=true`;
  // No `Expect: 100-continue`: curl would wait for the engine's go-ahead (a round trip, or a second).
  return ['bash', '-o', 'pipefail', '-c', `${tarOf(projects, project)} | curl -sS --fail -H 'Expect:' -H 'Content-Type: application/x-tar' -T - -X PUT --unix-socket '${socket}' '${url}'`];
}

/**
 * The docker CLI over OpenSSH (`ssh` + `docker system dial-stdio` on r1: a
 * session channel per HTTP connection, on the same shared connection) doing
 * the same PUT with `docker cp -`. Its wall time also holds the CLI's start on
 * both ends, its version check and a stat of /workspaces: an empty tar the
 * same way measures that fixed part.
 */
function dockerCliCopy(target: string, container: string, projects: string, project: string | undefined): string[] {
  return ['bash', '-o', 'pipefail', '-c', `${tarOf(projects, project)} | docker -H 'ssh://${target}' cp - '${container}:/workspaces'`];
}

export async function uploadBench(options: BenchOptions = {}): Promise<BenchResult> {
  // 200 MB written per run makes single runs scatter (±30%): more of them.
  const runs = runsFor(options, 9);
  const rtts: readonly number[] = options.quick === true ? [50] : [50, 100];
  const world = await createBenchHome('upload');
  const relayed = await relayedR1(world, rtts, { shareOpenSsh: true }).catch(async (error: unknown) => {
    await world.cleanup();
    throw error;
  });
  let env: NodeJS.ProcessEnv | undefined;
  try {
    const { testEnv, runId } = world;
    env = await world.pksHome('pks', [['r1', '--host', testEnv.r1.host], ...relayed.remoteArgs(hostId)]);
    const pksEnv = env;
    const projects = path.join(world.root, 'projects');
    const big = await bigProject(projects, `${runId}-big`, testEnv.images.busybox);
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
      const { result, outcome } = await spawnOnce(pksEnv, big, where, ['--volume-name', `${runId}-upload-${volumes}`], true);
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
    const sync = async (): Promise<void> => {
      await mustSucceed('sync', runTimed(['sync'], { env: world.base }));
    };
    const settle = async (where: string | undefined): Promise<void> => {
      await removeContainer(pksEnv, big, where);
      await sync();
    };
    // The reference's target, made untimed on r1's engine directly: a created container, a new volume at /workspaces.
    const r1Docker = (...args: string[]) => mustSucceed(`docker ${args[0] ?? ''} on r1`, runTimed(['docker', '-H', `unix://${testEnv.r1.engineSocket}`, ...args], { env: world.base }));
    let targets = 0;
    let target = '';
    const prepareCopy = async (): Promise<void> => {
      if (target !== '') await r1Docker('rm', '-f', target);
      targets += 1;
      target = `${runId}-ref-${targets}`;
      await r1Docker('create', '--name', target, '-v', `${target}:/workspaces`, testEnv.images.busybox);
      await sync();
    };
    const timedShell = (label: string, argv: () => string[]) => async (): Promise<number> => (await mustSucceed(label, runTimed(argv(), { env: world.base }))).ms;
    const project = path.basename(big);
    const variants: Variant[] = [
      { name: 'upload phase (local)', prepare: () => settle(undefined), run: uploadOf(undefined, 'local') },
      { name: 'upload phase (remote r1)', prepare: () => settle('r1'), run: uploadOf('r1', 'remote r1') },
      { name: 'OpenSSH: the same files as one tar stream to r1, discarded', run: timedShell('OpenSSH floor', () => ['sh', '-c', sshFloor]) },
      ...rtts.flatMap((rtt): Variant[] => [
        { name: PKS_SLOW(rtt), prepare: () => settle(hostId(rtt)), run: uploadOf(hostId(rtt), `r1 @ ${rtt} ms RTT`) },
        { name: SSH_SLOW(rtt), prepare: prepareCopy, run: timedShell('PUT archive over OpenSSH', () => openSshPut(relayed.dockerSocket(rtt), target, projects, project)) },
        { name: CLI_SLOW(rtt), prepare: prepareCopy, run: timedShell('docker cp over OpenSSH', () => dockerCliCopy(relayed.sshTarget(rtt), target, projects, project)) },
        { name: CLI_EMPTY(rtt), prepare: prepareCopy, run: timedShell('docker cp over OpenSSH', () => dockerCliCopy(relayed.sshTarget(rtt), target, projects, undefined)) },
      ]),
    ];
    process.stderr.write(`upload: 200 MB / 2,000 files, ${runs} runs local, remote and through relays at ${rtts.join(', ')} ms RTT, alternating\n`);
    const samples = await alternate(variants, runs);
    if (target !== '') await r1Docker('rm', '-f', target);
    await removeProject(pksEnv, big, undefined);
    await removeProject(pksEnv, big, 'r1');
    const peak = Math.max(...memory);
    const rows = [
      ratioRow('upload', '200 MB / 2,000 files, remote vs local', samples, 'upload phase (remote r1)', 'upload phase (local)', 1.2),
      ...rtts.map((rtt) =>
        ratioRow('upload', `200 MB / 2,000 files on r1 at ${rtt} ms RTT (relay) vs OpenSSH carrying the same tar through the same relay (its forwarded docker socket, the same direct-streamlocal channel, curl's PUT archive)`, samples, PKS_SLOW(rtt), SSH_SLOW(rtt), 1.3),
      ),
      ...rtts.map((rtt) => ratioRow('upload', `the same at ${rtt} ms RTT vs the docker CLI over OpenSSH (\`docker cp -\` of the same tar, same relay)`, samples, PKS_SLOW(rtt), CLI_SLOW(rtt))),
      absoluteRow('upload', 'peak memory while uploading 200 MB', 'pks max RSS', peak, 'MiB', 200),
    ];
    const details = [
      `200 MB in 2,000 incompressible files, image ${testEnv.images.busybox}; ${runs} fresh spawns each, alternating, after one warm-up round, each into a new volume and after \`sync\` (the previous run's writes flushed); the figure is the spawn's \`upload\` phase. Peak memory: the highest max RSS (GNU time) of all those spawn processes. For scale, the SSH transport's floor: OpenSSH carrying the same files as one tar stream to r1 (\`${sshFloor.replace(big, '<project>')}\`).`,
      '',
      `Slow link: r1 through the latency relay (bench/lib/latency-relay.ts) at ${rtts.join(' and ')} ms round trip, registered as ${rtts.map((rtt) => `\`${hostId(rtt)}\``).join(', ')} (\`--host 127.0.0.1 --port <relay>\`). The reference carries the same bytes with the same request into the same kind of target, a created container whose /workspaces is a new volume (after \`sync\`): OpenSSH forwards a local socket to r1's docker socket (\`ssh -O forward -L <sock>:/var/run/docker.sock\` on a shared connection, ControlMaster, opened before the run as pks's is up before its upload phase; each connection is the same \`direct-streamlocal\` channel pks opens, with the same 2 MiB server window) and \`${openSshPut('<sock>', '<container>', '<projects>', '<project>').at(-1) ?? ''}\`. For scale, the docker CLI over the same shared OpenSSH connection (\`ssh\` + \`docker system dial-stdio\`: a session channel per HTTP connection) with \`${dockerCliCopy('pksdev@127.0.0.1:<relay>', '<container>', '<projects>', '<project>').at(-1) ?? ''}\`; its wall time also holds the CLI's start on both ends, its version check and a stat of /workspaces, which the empty-tar line measures.`,
      '',
      ...samplesTable(new Map([...samples, ...[...extra].map(([name, list]) => [name, list.slice(1)] as [string, number[]])])),
    ];
    return { name: 'upload', rows, details };
  } finally {
    // No warm pks connection outlives the run.
    if (env !== undefined) await runTimed([process.execPath, pksBin, 'remote', 'disconnect', '--all'], { env });
    await relayed.close();
    await world.cleanup();
  }
}

if (isMain(import.meta.url)) await runStandalone(uploadBench);
