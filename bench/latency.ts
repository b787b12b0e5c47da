// Remote commands over a slow link: `list`, `connect --print-uri` and a fresh
// `spawn` (small project) on test host r1 reached through the latency relay
// (bench/lib/latency-relay.ts) at 0, 50 and 100 ms round trip (half each way;
// `--quick`: 0 and 50), each cold (no warm connection: `pks remote disconnect
// --all` before the run, so the command pays for starting the holder) and
// warm (the holder already up: one untimed `list` first), with the docker CLI
// over OpenSSH through the same relays as the reference for list. All relays
// run for the whole benchmark, so the variants alternate; the 0 ms relay
// isolates the delay from the relay itself. The round trips a command takes
// are counted twice: from the wall time, (t@RTT − t@0) / RTT, and by the relay
// (TCP connections, and request/response turns on them).
// Run: node --import tsx bench/latency.ts [--quick] [--runs N]

import path from 'node:path';
import { createBenchHome } from './lib/bench-home.js';
import { relayedR1, type RelayedHost } from './lib/relayed-host.js';
import { alternate, formatMs, isMain, median, medianOf, mustSucceed, pksBin, ratioRow, runsFor, runStandalone, runTimed, samplesTable, type BenchOptions, type BenchResult, type Row, type Samples, type Variant } from './lib/runner.js';
import { phaseTable, removeProject, smallProject, spawnAlone, spawnOnce, type PhaseLog } from './lib/spawn-runs.js';

const hostId = (rtt: number): string => `r1rtt${rtt}`;
type Mode = 'cold' | 'warm';
const MODES: readonly Mode[] = ['cold', 'warm'];
const LIST = 'pks list --remote';
const CONNECT = 'pks connect --print-uri';
const SPAWN = 'pks spawn (fresh)';
const DOCKER = 'docker -H ssh:// ps';
const name = (what: string, mode: Mode | undefined, rtt: number): string => `${what}${mode === undefined ? '' : ` ${mode}`} @ ${rtt} ms`;

/** What the relay saw during each run of a variant. */
interface LinkCounts {
  connections: number[];
  turns: number[];
}

/** Round trips from wall time: what `rtt` of delay added to the median, in round trips. */
function roundTrips(samples: Samples, what: string, mode: Mode | undefined, rtt: number): number {
  return (medianOf(samples, name(what, mode, rtt)) - medianOf(samples, name(what, mode, 0))) / rtt;
}

function roundTripRow(samples: Samples, what: string, mode: Mode, rtt: number, bound: number): Row {
  const trips = roundTrips(samples, what, mode, rtt);
  return {
    benchmark: 'latency',
    comparison: `${what} ${mode}: round trips at ${rtt} ms RTT, (t@${rtt} − t@0) / ${rtt} ms`,
    ours: `${name(what, mode, rtt)}: ${formatMs(medianOf(samples, name(what, mode, rtt)))} → ${trips.toFixed(1)} RTT`,
    reference: `${name(what, mode, 0)}: ${formatMs(medianOf(samples, name(what, mode, 0)))}`,
    ratio: '—',
    target: `≤ ${bound} RTT`,
    // A delay that made the command faster says the machine's noise is larger
    // than the delay: no count can be read from it, met or not.
    met: trips < 0 ? 'unmeasured (noise)' : trips <= bound ? 'yes' : 'no',
  };
}

export async function latencyBench(options: BenchOptions = {}): Promise<BenchResult> {
  const runs = runsFor(options, 5);
  const rtts: readonly number[] = options.quick === true ? [0, 50] : [0, 50, 100];
  const slow = rtts.filter((rtt) => rtt > 0);
  const world = await createBenchHome('latency');
  let relayed: RelayedHost | undefined;
  let env: NodeJS.ProcessEnv | undefined;
  try {
    const { testEnv, runId } = world;
    const r1 = testEnv.r1;
    const relays = await relayedR1(world, rtts);
    relayed = relays;
    const pksEnv = await world.pksHome('pks', relays.remoteArgs(hostId));
    env = pksEnv;
    const pksRun = (label: string, args: string[]) => mustSucceed(label, runTimed([process.execPath, pksBin, ...args], { env: pksEnv }));

    const projects = path.join(world.root, 'projects');
    const target = await smallProject(projects, `${runId}-connect`, testEnv.images.debian);
    process.stderr.write('latency: spawning the container to connect to\n');
    const containerName = (await spawnOnce(pksEnv, target, hostId(0))).outcome.containerName;
    const spawnDirs = new Map<string, string>();
    for (const rtt of rtts) for (const mode of MODES) spawnDirs.set(name(SPAWN, mode, rtt), await smallProject(projects, `${runId}-spawn${rtt}${mode}`, testEnv.images.debian));

    const phases: PhaseLog = new Map();
    const counts = new Map<string, LinkCounts>();
    /** Times `run` and records the relay's connections and turns during it; `prepare` is not timed. */
    const counted = (variant: string, rtt: number, run: () => Promise<number>, prepare?: () => Promise<void>): Variant => ({
      name: variant,
      ...(prepare === undefined ? {} : { prepare }),
      run: async () => {
        const relay = relays.relay(rtt);
        const before = { connections: relay?.connections ?? 0, turns: relay?.turns ?? 0 };
        const ms = await run();
        const seen = counts.get(variant) ?? { connections: [], turns: [] };
        seen.connections.push((relay?.connections ?? 0) - before.connections);
        seen.turns.push((relay?.turns ?? 0) - before.turns);
        counts.set(variant, seen);
        return ms;
      },
    });
    const prepareFor = (mode: Mode, rtt: number) => async (): Promise<void> => {
      // Cold: no holder for any host; warm: this host's holder up (started by an untimed list if it was not).
      await (mode === 'cold' ? pksRun('remote disconnect --all', ['remote', 'disconnect', '--all']) : pksRun('warm-up list', ['devcontainer', 'list', '--remote', hostId(rtt)]));
    };
    const timedPks = (label: string, args: string[]) => async (): Promise<number> => (await pksRun(label, args)).ms;
    const variants: Variant[] = rtts.flatMap((rtt) => [
      counted(name(DOCKER, undefined, rtt), rtt, async () => (await mustSucceed('docker ps', runTimed(['docker', '-H', `ssh://${relays.sshTarget(rtt)}`, 'ps'], { env: world.base }))).ms),
      ...MODES.flatMap((mode) => [
        counted(name(LIST, mode, rtt), rtt, timedPks('pks list', ['devcontainer', 'list', '--remote', hostId(rtt)]), prepareFor(mode, rtt)),
        counted(name(CONNECT, mode, rtt), rtt, timedPks('pks connect', ['devcontainer', 'connect', containerName, '--remote', hostId(rtt), '--print-uri']), prepareFor(mode, rtt)),
        counted(name(SPAWN, mode, rtt), rtt, () => spawnAlone(pksEnv, spawnDirs.get(name(SPAWN, mode, rtt)) ?? '', hostId(rtt), phases, name('spawn', mode, rtt)), async () => {
          // Fresh: the project's container and volume removed (untimed), then the connection as the mode says.
          await removeProject(pksEnv, spawnDirs.get(name(SPAWN, mode, rtt)) ?? '', hostId(rtt));
          await prepareFor(mode, rtt)();
        }),
      ]),
    ]);
    process.stderr.write(`latency: ${runs} runs of ${variants.length} variants, alternating, through relays at ${rtts.join(', ')} ms RTT\n`);
    const samples = await alternate(variants, runs);
    await removeProject(pksEnv, target, hostId(0));
    for (const rtt of rtts) for (const mode of MODES) await removeProject(pksEnv, spawnDirs.get(name(SPAWN, mode, rtt)) ?? '', hostId(rtt));

    const rows: Row[] = [
      ...rtts.map((rtt) => ratioRow('latency', `remote list, cold, vs docker CLI, ${rtt} ms RTT (relay)`, samples, name(LIST, 'cold', rtt), name(DOCKER, undefined, rtt), 1.0)),
      ...slow.flatMap((rtt) => [
        roundTripRow(samples, SPAWN, 'cold', rtt, 14),
        roundTripRow(samples, SPAWN, 'warm', rtt, 9),
        roundTripRow(samples, LIST, 'warm', rtt, 2),
        roundTripRow(samples, CONNECT, 'warm', rtt, 3),
      ]),
      ratioRow('latency', 'fresh remote spawn, warm: 50 vs 0 ms RTT', samples, name(SPAWN, 'warm', 50), name(SPAWN, 'warm', 0), 2.0),
      ratioRow('latency', 'fresh remote spawn, cold: 50 vs 0 ms RTT', samples, name(SPAWN, 'cold', 50), name(SPAWN, 'cold', 0), 2.5),
      ratioRow('latency', 'remote list, warm, vs docker CLI, 50 ms RTT (relay)', samples, name(LIST, 'warm', 50), name(DOCKER, undefined, 50), 0.4),
    ];

    const countCell = (list: readonly number[] | undefined): string => (list === undefined || list.length === 0 ? '—' : `${median(list)} (${Math.min(...list)}–${Math.max(...list)})`);
    const tripCells = (what: string, mode: Mode | undefined): string[] => slow.map((rtt) => roundTrips(samples, what, mode, rtt).toFixed(1));
    const countCells = (what: string, mode: Mode | undefined, key: keyof LinkCounts): string[] => rtts.map((rtt) => countCell(counts.get(name(what, mode, rtt))?.[key]));
    const commands: Array<[string, Mode | undefined]> = [[DOCKER, undefined], ...[LIST, CONNECT, SPAWN].flatMap((what) => MODES.map((mode): [string, Mode] => [what, mode]))];
    const details = [
      `Test host r1 (${r1.host}:${r1.port}) through user-space TCP relays on 127.0.0.1 that hold each chunk half the round trip each way (${rtts.map((r) => `${r / 2} ms`).join(' / ')}), and the first client bytes one extra round trip, as TCP's handshake. pks hosts ${rtts.map((r) => `\`${hostId(r)}\``).join(', ')} registered with \`--host 127.0.0.1 --port <relay>\`; the docker CLI runs OpenSSH to the same relays with the same key and known_hosts. ${runs} runs each, alternating, after one warm-up round.`,
      '',
      '**Cold** = `pks remote disconnect --all` (untimed) before the run: no holder is up, so the timed command starts one (SSH handshake included) as a first command after 10 idle minutes does. A fresh spawn is timed alone: the project’s container and volume are removed (`rm --force --yes --volumes`, untimed) before the connection is made cold or warm. **Warm** = one untimed `pks devcontainer list --remote <host>` before the run, so the holder is up. The docker CLI has no warm state (a new OpenSSH connection per command).',
      '',
      ...samplesTable(samples),
      '',
      `Round trips per run. *From wall time*: (median at RTT − median at 0 ms) / RTT. *TCP connections*: connections the relay accepted during the run (median (min–max)); a warm command that goes through the holder opens none — its traffic rides the holder's connection. *Relay turns*: request/response turns the relay saw during the run, over all connections: on each connection, every burst of client→server bytes that arrives after the relay last delivered server→client bytes (the first client bytes count as one). Sequential exchanges count once each; a client message that follows server data but is not waited for (a channel close, a window adjustment) counts too, and exchanges in flight together on one connection (channels multiplexed by SSH) may count more or less than the round trips they cost, so turns are a count of the client's turns, not of the round trips it waits for; the holder's SSH keepalive (every 5 s) adds about one turn per 5 s of a warm run.`,
      '',
      `| command | ${slow.map((r) => `RTT from wall time @ ${r} ms`).join(' | ')} | ${rtts.map((r) => `TCP connections @ ${r} ms`).join(' | ')} | ${rtts.map((r) => `relay turns @ ${r} ms`).join(' | ')} |`,
      `| --- | ${[...slow, ...rtts, ...rtts].map(() => '---').join(' | ')} |`,
      ...commands.map(([what, mode]) => `| ${what}${mode === undefined ? '' : ` (${mode})`} | ${[...tripCells(what, mode), ...countCells(what, mode, 'connections'), ...countCells(what, mode, 'turns')].join(' | ')} |`),
      '',
      'Where a fresh spawn through the relays spends it (medians), in the spawn process: `before first phase` (launch to its first event: Node start-up, CLI loading and, for a remote host, reaching the engine — directly or through the holder), the phases spawn reports in `timings` (`upload ∥ start` spans from the beginning of the upload to the end of the container start), `after last phase` (summary and exit), and its whole wall time (`spawn process`); from `--format json --log-format json`.',
      '',
      ...phaseTable(phases),
    ];
    return { name: 'latency', rows, details };
  } finally {
    // No holder outlives the run (they would hold connections to relays that are gone).
    if (env !== undefined) await runTimed([process.execPath, pksBin, 'remote', 'disconnect', '--all'], { env });
    await relayed?.close();
    await world.cleanup();
  }
}

if (isMain(import.meta.url)) await runStandalone(latencyBench);
