// Shared pieces of the benchmarks: run a command and time it, run variants
// alternately (so drift on the machine hits them all alike), and turn medians
// into the rows of one comparison table (see bench/run-all.ts).

import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { snapshotBuild } from './build.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export { pksBin } from './build.js';
/** The reference Dev Container CLI (a dev dependency). */
export const devcontainerBin = path.join(repoRoot, 'node_modules', '.bin', 'devcontainer');

export interface Timed {
  ms: number;
  /** Wall-clock (Date.now()) launch and exit, to set against the timestamps a process logs. */
  startedAt: number;
  endedAt: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the process in KiB (from GNU time), when asked for. */
  maxRssKiB?: number;
  /** User + system CPU time of the process in ms (from GNU time), when asked for. */
  cpuMs?: number;
}

export function runTimed(argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; measureMemory?: boolean } = {}): Promise<Timed> {
  const memory = options.measureMemory === true;
  const [command, ...args] = memory ? ['/usr/bin/time', '-f', 'PKS_BENCH_MAXRSS=%M PKS_BENCH_CPU=%U+%S', ...argv] : argv;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const startedAt = Date.now();
    const child = spawn(command ?? 'true', args, { env: options.env ?? process.env, cwd: options.cwd ?? repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - start;
      const rss = /PKS_BENCH_MAXRSS=(\d+) PKS_BENCH_CPU=([\d.]+)\+([\d.]+)/.exec(stderr);
      const measured = rss === null ? {} : { maxRssKiB: Number(rss[1]), cpuMs: (Number(rss[2]) + Number(rss[3])) * 1000 };
      resolve({ ms, startedAt, endedAt: Date.now(), code, stdout, stderr, ...measured });
    });
  });
}

export async function mustSucceed(label: string, result: Promise<Timed>): Promise<Timed> {
  const done = await result;
  if (done.code !== 0) throw new Error(`${label} failed (exit ${done.code}):\n${done.stderr.slice(-2000)}${done.stdout.slice(-500)}`);
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

export type Samples = Map<string, number[]>;

/** Runs the variants alternately `runs` times after `warmup` rounds; returns the samples (ms) by name. */
export async function alternate(variants: readonly Variant[], runs: number, warmup = 1): Promise<Samples> {
  const samples: Samples = new Map(variants.map((v) => [v.name, []]));
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

// ---- rows of the comparison table -------------------------------------------

export interface Row {
  benchmark: string;
  comparison: string;
  /** "label: value" of our side. */
  ours: string;
  /** "label: value" of the reference, or "—". */
  reference: string;
  ratio: string;
  target: string;
  /** '—': no target; 'unmeasured (noise)': the figure cannot be read on this run. */
  met: 'yes' | 'no' | '—' | 'unmeasured (noise)';
}

export interface BenchResult {
  name: string;
  rows: Row[];
  /** Markdown lines with the raw figures and breakdowns behind the rows. */
  details: string[];
}

export interface BenchOptions {
  /** Timed runs per variant (after warm-up). */
  runs?: number;
  quick?: boolean;
}

export function formatMs(ms: number): string {
  return `${ms.toFixed(ms < 1 ? 2 : ms < 10 ? 1 : 0)} ms`;
}

export function medianOf(samples: Samples, name: string): number {
  const list = samples.get(name);
  if (list === undefined || list.length === 0) throw new Error(`no samples for ${name}`);
  return median(list);
}

/** ours / reference of the medians; `bound` undefined means informational (no target). */
export function ratioRow(benchmark: string, comparison: string, samples: Samples, ours: string, reference: string, bound?: number, target?: string): Row {
  const a = medianOf(samples, ours);
  const b = medianOf(samples, reference);
  const ratio = a / b;
  return {
    benchmark,
    comparison,
    ours: `${ours}: ${formatMs(a)}`,
    reference: `${reference}: ${formatMs(b)}`,
    ratio: `${ratio.toFixed(2)}×`,
    target: bound === undefined ? '—' : (target ?? `≤ ${bound === 1 ? '1.0' : bound}×`),
    met: bound === undefined ? '—' : ratio <= bound ? 'yes' : 'no',
  };
}

/** A value against an absolute bound (e.g. peak memory). */
export function absoluteRow(benchmark: string, comparison: string, ours: string, value: number, unit: string, bound: number): Row {
  return { benchmark, comparison, ours: `${ours}: ${value.toFixed(0)} ${unit}`, reference: '—', ratio: '—', target: `≤ ${bound} ${unit}`, met: value <= bound ? 'yes' : 'no' };
}

/** A table cell: a `|` inside would end it. */
const cell = (text: string): string => text.replace(/\|/g, '\\|');

export function rowsTable(rows: readonly Row[]): string {
  const lines = ['| benchmark | comparison | ours (median) | reference (median) | ratio | target | met |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) lines.push(`| ${[r.benchmark, r.comparison, r.ours, r.reference, r.ratio, r.target, r.met].map(cell).join(' | ')} |`);
  return lines.join('\n');
}

/** Median, min and max of every variant, as markdown lines. */
export function samplesTable(samples: Samples): string[] {
  const lines = ['| command | median | min | max | runs |', '| --- | --- | --- | --- | --- |'];
  for (const [name, list] of samples) {
    if (list.length === 0) continue;
    lines.push(`| ${cell(name)} | ${formatMs(median(list))} | ${formatMs(Math.min(...list))} | ${formatMs(Math.max(...list))} | ${list.length} |`);
  }
  return lines;
}

export function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** Options from this process's argv: --quick, --runs N. */
export function benchOptionsFromArgv(argv: readonly string[] = process.argv.slice(2)): BenchOptions {
  const at = argv.indexOf('--runs');
  const runs = at >= 0 ? Number(argv[at + 1]) : undefined;
  if (runs !== undefined && !(Number.isInteger(runs) && runs > 0)) throw new Error('--runs takes a positive integer');
  return { quick: argv.includes('--quick'), ...(runs === undefined ? {} : { runs }) };
}

export function runsFor(options: BenchOptions, full: number): number {
  return options.runs ?? (options.quick === true ? 3 : full);
}

/** Whether the module with this import.meta.url is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(path.resolve(entry)).href === moduleUrl;
}

/** Runs one benchmark as a script: its table and details on stdout. */
export async function runStandalone(bench: (options: BenchOptions) => Promise<BenchResult>): Promise<void> {
  const options = benchOptionsFromArgv();
  const snapshot = await snapshotBuild({ fromHead: process.argv.includes('--head') });
  let result: BenchResult;
  try {
    result = await bench(options);
  } finally {
    await snapshot.remove();
  }
  process.stdout.write(`## ${result.name} (${new Date().toISOString().slice(0, 10)}; ${machineLine()})\n\n${rowsTable(result.rows)}\n\n${result.details.join('\n')}\n`);
}
