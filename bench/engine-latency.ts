// Latency of one engine API call (GET /containers/json) through each way pks
// could reach an engine: the local socket, our multiplexed SSH client, and
// docker-modem's built-in `ssh` protocol (for comparison only; see
// bench/README.md). The three clients are opened once, then called in turn,
// call by call, so machine noise hits them alike.
// Run: node --import tsx bench/engine-latency.ts [--quick] [--runs N]   (N calls per transport)

import { readFileSync } from 'node:fs';
import Modem from 'docker-modem';
import { openLocalEngine, openSshEngine } from '../src/engine/index.js';
import { sshHandshakeCount } from '../src/ssh/index.js';
import { loadTestEnv } from '../test/helpers/test-env.js';
import { formatMs, isMain, median, ratioRow, runStandalone, type BenchOptions, type BenchResult, type Samples } from './lib/runner.js';

const WARMUP = 5;

interface Transport {
  name: string;
  call: () => Promise<unknown>;
  close: () => Promise<void>;
  /** Opening the client and its first call (handshake, version negotiation). */
  firstMs: number;
}

async function open(name: string, opener: () => Promise<{ call: () => Promise<unknown>; close: () => Promise<void> }>): Promise<Transport> {
  const start = performance.now();
  const client = await opener();
  await client.call();
  return { name, ...client, firstMs: performance.now() - start };
}

function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

export async function engineLatencyBench(options: BenchOptions = {}): Promise<BenchResult> {
  const calls = options.runs ?? (options.quick === true ? 20 : Number(process.env.PKS_BENCH_CALLS ?? 100));
  const env = loadTestEnv();
  const r1 = env.r1;
  const transports: Transport[] = [];
  try {
    transports.push(
      await open('local', async () => {
        const client = await openLocalEngine({ DOCKER_HOST: `unix://${env.localSocket}` });
        return { call: () => client.listContainers(), close: () => client.close() };
      }),
    );
    const handshakesBefore = sshHandshakeCount();
    transports.push(
      await open('ssh-mux', async () => {
        const client = await openSshEngine({ host: r1.host, port: r1.port, username: r1.user, privateKeyPath: r1.key, knownHostsFiles: [env.knownHosts], socketPath: r1.dockerSocket });
        return { call: () => client.listContainers(), close: () => client.close() };
      }),
    );
    transports.push(
      await open('docker-modem-ssh', async () => {
        // docker-modem's ssh protocol: a new SSH connection per request, then
        // `docker system dial-stdio` on the remote. It does not check host keys.
        const modem = new Modem({ protocol: 'ssh', host: r1.host, port: r1.port, username: r1.user, sshOptions: { privateKey: readFileSync(r1.key) } } as Modem.ConstructorOptions);
        const call = () =>
          new Promise<unknown>((resolve, reject) => {
            modem.dial({ path: '/containers/json?', method: 'GET', statusCodes: { 200: true }, options: {} }, (error, data) => (error ? reject(error as Error) : resolve(data)));
          });
        return { call, close: async () => undefined };
      }),
    );
    const samples: Samples = new Map(transports.map((t) => [t.name, []]));
    process.stderr.write(`engine-latency: ${calls} calls per transport, in turn, after ${WARMUP} warm-up calls\n`);
    for (let i = 0; i < WARMUP + calls; i += 1) {
      for (const transport of transports) {
        const start = performance.now();
        await transport.call();
        if (i >= WARMUP) samples.get(transport.name)?.push(performance.now() - start);
      }
    }
    const muxHandshakes = sshHandshakeCount() - handshakesBefore;
    const details = [
      `GET /containers/json, ${calls} calls per transport, in turn, after ${WARMUP} warm-up calls; remote: ${r1.user}@${r1.host}:${r1.port} (pks-r1). SSH handshakes for all ssh-mux calls: ${muxHandshakes}; docker-modem-ssh: one per call.`,
      '',
      '| transport | median | p90 | min | open + first call |',
      '| --- | --- | --- | --- | --- |',
      ...transports.map((t) => {
        const list = samples.get(t.name) ?? [];
        return `| ${t.name} | ${formatMs(median(list))} | ${formatMs(quantile(list, 0.9))} | ${formatMs(Math.min(...list))} | ${formatMs(t.firstMs)} |`;
      }),
    ];
    const rows = [
      ratioRow('engine latency', 'one API call, SSH mux vs local socket', samples, 'ssh-mux', 'local', 3),
      ratioRow('engine latency', 'one API call, docker-modem ssh (connection per call) vs SSH mux', samples, 'docker-modem-ssh', 'ssh-mux'),
    ];
    return { name: 'engine latency', rows, details };
  } finally {
    for (const transport of transports) await transport.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(engineLatencyBench);
