// Shared pieces of the command benchmarks: run a command and time it, run
// variants alternately (so drift on the machine hits them all alike), and
// print medians and ratios as a markdown table.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const pksBin = path.join(repoRoot, 'bin', 'pks.js');

export interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the process in KiB (from GNU time), when asked for. */
  maxRssKiB?: number;
}

export function runTimed(argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; measureMemory?: boolean } = {}): Promise<Timed> {
  const memory = options.measureMemory === true;
  const [command, ...args] = memory ? ['/usr/bin/time', '-f', 'PKS_BENCH_MAXRSS=%M', ...argv] : argv;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command ?? 'true', args, { env: options.env ?? process.env, cwd: options.cwd ?? repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - start;
      const rss = /PKS_BENCH_MAXRSS=(\d+)/.exec(stderr);
      resolve({ ms, code, stdout, stderr, ...(rss === null ? {} : { maxRssKiB: Number(rss[1]) }) });
    });
  });
}

export async function mustSucceed(label: string, result: Promise<Timed>): Promise<Timed> {
  const done = await result;
  if (done.code !== 0) throw new Error(`${label} failed (exit ${done.code}):\n${done.stderr.slice(-2000)}`);
  return done;
}

export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export interface Variant {
  name: string;
  /** Work before each timed run (not timed), e.g. removing the container. */
  prepare?: () => Promise<void>;
  run: () => Promise<number>;
}

/** Runs the variants alternately `runs` times; returns the samples (ms) by name. */
export async function alternate(variants: readonly Variant[], runs: number, warmup = 1): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < runs + warmup; round += 1) {
    for (const variant of variants) {
      await variant.prepare?.();
      const ms = await variant.run();
      if (round >= warmup) samples.get(variant.name)?.push(ms);
      process.stderr.write('.');
    }
  }
  process.stderr.write('\n');
  return samples;
}

export interface Comparison {
  what: string;
  ours: string;
  reference: string;
  target: string;
  /** Lower is better: ours / reference must be ≤ this. */
  bound: number;
}

export function comparisonTable(samples: Map<string, number[]>, comparisons: readonly Comparison[]): string {
  const ms = (name: string): number => median(samples.get(name) ?? []);
  const lines = ['| comparison | ours (median) | reference (median) | ratio | target | met |', '| --- | --- | --- | --- | --- | --- |'];
  for (const c of comparisons) {
    const ratio = ms(c.ours) / ms(c.reference);
    lines.push(
      `| ${c.what} | ${c.ours}: ${ms(c.ours).toFixed(0)} ms | ${c.reference}: ${ms(c.reference).toFixed(0)} ms | ${ratio.toFixed(2)}× | ${c.target} | ${ratio <= c.bound ? 'yes' : 'no'} |`,
    );
  }
  return lines.join('\n');
}

/** A private HOME / PKS_HOME with both test hosts registered (no connection made). */
export async function benchHome(env: { r1: { host: string; user: string; key: string }; r2: { host: string; user: string; key: string }; knownHosts: string }): Promise<NodeJS.ProcessEnv> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'pks-bench-'));
  const home = path.join(root, 'home');
  await mkdir(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const { readFile } = await import('node:fs/promises');
  await writeFile(path.join(home, '.ssh', 'known_hosts'), await readFile(env.knownHosts));
  const benchEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, PKS_HOME: path.join(root, 'pks'), USER: 'pks-bench' };
  for (const id of ['r1', 'r2'] as const) {
    const host = env[id];
    await mustSucceed(`remote add ${id}`, runTimed([process.execPath, pksBin, 'remote', 'add', id, '--host', host.host, '--user', host.user, '--key', host.key, '--no-test'], { env: benchEnv }));
  }
  return benchEnv;
}

export function machineLine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`;
}
