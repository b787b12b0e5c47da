// Latency of one engine API call (GET /containers/json) through each way pks
// could reach an engine: the local socket, our multiplexed SSH client, and
// docker-modem's built-in `ssh` protocol (for comparison only; see
// bench/README.md). Run: node --import tsx bench/engine-latency.ts

import { readFileSync } from 'node:fs';
import Modem from 'docker-modem';
import { openLocalEngine, openSshEngine, type EngineClient } from '../src/engine/index.js';
import { sshHandshakeCount } from '../src/ssh/index.js';
import { loadTestEnv } from '../test/helpers/test-env.js';

const CALLS = Number(process.env['PKS_BENCH_CALLS'] ?? 100);
const WARMUP = 5;

interface Result {
  name: string;
  /** Opening the client and the first call (handshake, version negotiation). */
  firstMs: number;
  samples: number[];
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

const median = (result: Result): number => quantile([...result.samples].sort((a, b) => a - b), 0.5);

async function timed<T>(call: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await call();
  return performance.now() - start;
}

async function measure(name: string, open: () => Promise<{ call: () => Promise<unknown>; close: () => Promise<void> }>): Promise<Result> {
  const start = performance.now();
  const client = await open();
  await client.call();
  const firstMs = performance.now() - start;
  try {
    for (let i = 0; i < WARMUP; i++) await client.call();
    const samples: number[] = [];
    for (let i = 0; i < CALLS; i++) samples.push(await timed(client.call));
    return { name, firstMs, samples };
  } finally {
    await client.close();
  }
}

function ours(open: () => Promise<EngineClient>) {
  return async () => {
    const client = await open();
    return { call: () => client.listContainers(), close: () => client.close() };
  };
}

const env = loadTestEnv();
const r1 = env.r1;

const results: Result[] = [];
results.push(await measure('local', ours(() => openLocalEngine({ DOCKER_HOST: `unix://${env.localSocket}` }))));

const handshakes = sshHandshakeCount();
results.push(
  await measure(
    'ssh-mux',
    ours(() =>
      openSshEngine({
        host: r1.host,
        port: r1.port,
        username: r1.user,
        privateKeyPath: r1.key,
        knownHostsFiles: [env.knownHosts],
        socketPath: r1.dockerSocket,
      }),
    ),
  ),
);
const muxHandshakes = sshHandshakeCount() - handshakes;

results.push(
  await measure('docker-modem-ssh', async () => {
    // docker-modem's ssh protocol: a new SSH connection per request, then
    // `docker system dial-stdio` on the remote. It does not check host keys.
    const modem = new Modem({
      protocol: 'ssh',
      host: r1.host,
      port: r1.port,
      username: r1.user,
      sshOptions: { privateKey: readFileSync(r1.key) },
    } as Modem.ConstructorOptions);
    const call = () =>
      new Promise<unknown>((resolve, reject) => {
        modem.dial({ path: '/containers/json?', method: 'GET', statusCodes: { 200: true }, options: {} }, (error, data) =>
          error ? reject(error as Error) : resolve(data),
        );
      });
    return { call, close: async () => undefined };
  }),
);

const fmt = (ms: number): string => `${ms.toFixed(2).padStart(8)} ms`;
console.log(`GET /containers/json, ${CALLS} sequential calls per transport after ${WARMUP} warm-up calls`);
console.log(`remote: ${r1.user}@${r1.host}:${r1.port} (pks-r1); local: ${env.localSocket}\n`);
console.log(`${'transport'.padEnd(18)}${'median'.padStart(11)}${'p90'.padStart(11)}${'min'.padStart(11)}${'first call'.padStart(14)}`);
for (const result of results) {
  const sorted = [...result.samples].sort((a, b) => a - b);
  console.log(
    `${result.name.padEnd(18)}${fmt(quantile(sorted, 0.5))}${fmt(quantile(sorted, 0.9))}${fmt(sorted[0] ?? Number.NaN)}${fmt(result.firstMs).padStart(14)}`,
  );
}
const [local, mux, modem] = results as [Result, Result, Result];
const muxRatio = median(mux) / median(local);
console.log(`\nssh-mux / local (median):          ${muxRatio.toFixed(2)}x  (target <= 3x: ${muxRatio <= 3 ? 'met' : 'NOT met'})`);
console.log(`docker-modem-ssh / ssh-mux (median): ${(median(modem) / median(mux)).toFixed(1)}x`);
console.log(`SSH handshakes for ${CALLS + WARMUP + 1} ssh-mux calls: ${muxHandshakes}; docker-modem-ssh: one per call`);
