// Remote commands over a slow link: `list`, `connect --print-uri` and a fresh
// `spawn` (small project) on test host r1 reached through the latency relay
// (bench/lib/latency-relay.ts) at 0 ms and at 50 ms round trip (25 ms each
// way), with the docker CLI over OpenSSH through the same relays as the
// reference for list. Both relays run for the whole benchmark, so the
// variants alternate; the 0 ms relay isolates the delay from the relay itself.
// Run: node --import tsx bench/latency.ts [--quick] [--runs N]

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createBenchHome } from './lib/bench-home.js';
import { startLatencyRelay, type LatencyRelay } from './lib/latency-relay.js';
import { alternate, formatMs, isMain, medianOf, mustSucceed, pksBin, ratioRow, runsFor, runStandalone, runTimed, samplesTable, type BenchOptions, type BenchResult, type Row, type Variant } from './lib/runner.js';
import { freshSpawn, phaseTable, removeProject, smallProject, spawnOnce, type PhaseLog } from './lib/spawn-runs.js';

const RTTS = [0, 50] as const;
const hostId = (rtt: number): string => (rtt === 0 ? 'r1fast' : 'r1slow');

export async function latencyBench(options: BenchOptions = {}): Promise<BenchResult> {
  const runs = runsFor(options, 5);
  const world = await createBenchHome('latency');
  const relays = new Map<number, LatencyRelay>();
  try {
    const { testEnv, runId } = world;
    const r1 = testEnv.r1;
    for (const rtt of RTTS) relays.set(rtt, await startLatencyRelay({ targetHost: r1.host, targetPort: r1.port, upMs: rtt / 2, downMs: rtt / 2 }));
    const portOf = (rtt: number): number => relays.get(rtt)?.port ?? 0;

    // r1's host key, under the relays' addresses, for pks and OpenSSH alike.
    const r1Line = (await readFile(testEnv.knownHosts, 'utf8')).split('\n').find((line) => (line.split(' ')[0] ?? '').split(',').includes(r1.host));
    if (r1Line === undefined) throw new Error(`no known_hosts line for ${r1.host} in ${testEnv.knownHosts}`);
    const hostKey = r1Line.split(' ').slice(1).join(' ');
    for (const rtt of RTTS) await world.addKnownHost(`[127.0.0.1]:${portOf(rtt)} ${hostKey}`);
    await world.addSshHostBlock(`Host 127.0.0.1\n  User ${r1.user}\n  IdentityFile ${r1.key}\n  IdentitiesOnly yes\n  BatchMode yes\n`);
    const env = await world.pksHome(
      'pks',
      RTTS.map((rtt) => [hostId(rtt), '--host', '127.0.0.1', '--port', String(portOf(rtt)), '--user', r1.user, '--key', r1.key]),
    );

    const projects = path.join(world.root, 'projects');
    const target = await smallProject(projects, `${runId}-connect`, testEnv.images.debian);
    process.stderr.write('latency: spawning the container to connect to\n');
    const containerName = (await spawnOnce(env, target, hostId(0))).outcome.containerName;
    const spawnDirs = new Map<number, string>();
    for (const rtt of RTTS) spawnDirs.set(rtt, await smallProject(projects, `${runId}-spawn${rtt}`, testEnv.images.debian));

    const phases: PhaseLog = new Map();
    /** TCP connections through the relay per run, by variant: how many handshakes a command pays. */
    const connections = new Map<string, number[]>();
    const timedThrough = (name: string, rtt: number, run: () => Promise<number>): Variant => ({
      name,
      run: async () => {
        const before = relays.get(rtt)?.connections ?? 0;
        const ms = await run();
        connections.set(name, [...(connections.get(name) ?? []), (relays.get(rtt)?.connections ?? 0) - before]);
        return ms;
      },
    });
    const command = (label: string, argv: string[], childEnv: NodeJS.ProcessEnv) => async (): Promise<number> => (await mustSucceed(label, runTimed(argv, { env: childEnv }))).ms;
    const name = (what: string, rtt: number): string => `${what} @ ${rtt} ms`;
    const variants: Variant[] = RTTS.flatMap((rtt) => [
      timedThrough(name('pks list', rtt), rtt, command('pks list', [process.execPath, pksBin, 'devcontainer', 'list', '--remote', hostId(rtt)], env)),
      timedThrough(name('docker -H ssh:// ps', rtt), rtt, command('docker ps', ['docker', '-H', `ssh://${r1.user}@127.0.0.1:${portOf(rtt)}`, 'ps'], world.base)),
      timedThrough(name('pks connect --print-uri', rtt), rtt, command('pks connect', [process.execPath, pksBin, 'devcontainer', 'connect', containerName, '--remote', hostId(rtt), '--print-uri'], env)),
      timedThrough(name('pks rm+spawn', rtt), rtt, () => freshSpawn(env, spawnDirs.get(rtt) ?? '', hostId(rtt), phases, `spawn @ ${rtt} ms`)),
    ]);
    process.stderr.write(`latency: ${runs} runs of ${variants.length} variants, alternating, through relays at ${RTTS.join(' and ')} ms RTT\n`);
    const samples = await alternate(variants, runs);
    await removeProject(env, target, hostId(0));
    for (const rtt of RTTS) await removeProject(env, spawnDirs.get(rtt) ?? '', hostId(rtt));

    /** The time 50 ms of round trip adds, in ms and in round trips. */
    const added = (what: string): string => {
      const extra = medianOf(samples, name(what, 50)) - medianOf(samples, name(what, 0));
      return `+${formatMs(extra)} ≈ ${(extra / 50).toFixed(1)} RTT`;
    };
    const rows: Row[] = [
      ratioRow('latency', 'remote list vs docker CLI, 0 ms RTT (relay)', samples, name('pks list', 0), name('docker -H ssh:// ps', 0), 1.0),
      ratioRow('latency', 'remote list vs docker CLI, 50 ms RTT (relay)', samples, name('pks list', 50), name('docker -H ssh:// ps', 50), 1.0),
      ...['pks list', 'docker -H ssh:// ps', 'pks connect --print-uri', 'pks rm+spawn'].map((what) =>
        ratioRow('latency', `${what}: 50 vs 0 ms RTT (${added(what)})`, samples, name(what, 50), name(what, 0)),
      ),
    ];
    const connectionCell = (variant: string): string => {
      const list = connections.get(variant) ?? [];
      return list.length === 0 ? '—' : String(Math.max(...list));
    };
    const details = [
      `Test host r1 (${r1.host}:${r1.port}) through a user-space TCP relay on 127.0.0.1 that holds each chunk ${RTTS.map((r) => `${r / 2} ms`).join(' / ')} each way (and the first client bytes one extra round trip, as TCP's handshake). pks hosts \`r1fast\` (0 ms) and \`r1slow\` (50 ms) registered with \`--host 127.0.0.1 --port <relay>\`; the docker CLI runs OpenSSH to the same relays with the same key and known_hosts. ${runs} runs each, alternating, after one warm-up round.`,
      '',
      ...samplesTable(samples),
      '',
      '| command | added by 50 ms RTT | TCP connections per run |',
      '| --- | --- | --- |',
      ...['pks list', 'docker -H ssh:// ps', 'pks connect --print-uri', 'pks rm+spawn'].map((what) => `| ${what} | ${added(what)} | ${connectionCell(name(what, 50))} |`),
      '',
      'Where a spawn through the relays spends it (medians): `rm process` is the preceding `pks devcontainer rm`; then the spawn process: `before first phase` (launch to its first event: Node start-up, CLI loading and, for a remote host, the SSH connection), the phases spawn reports in `timings` (`upload ∥ start` spans from the beginning of the upload to the end of the container start), `after last phase` (summary and exit), and its whole wall time (`spawn process`); from `--format json --log-format json`.',
      '',
      ...phaseTable(phases),
    ];
    return { name: 'latency', rows, details };
  } finally {
    for (const relay of relays.values()) await relay.close();
    await world.cleanup();
  }
}

if (isMain(import.meta.url)) await runStandalone(latencyBench);
