// The benchmark suite: every benchmark side by side with its reference,
// variants alternating, then one markdown table of medians, ratios and
// targets on stdout, written into bench/RESULTS.md (between its markers) with
// the date and the machine.
//
//   npm run bench                      # full: ≥ 5 runs of every variant
//   npm run bench -- --quick           # 3 runs each (engine latency: 20 calls)
//   npm run bench -- --only list,connect --no-write
//   npm run bench -- --head            # measure HEAD, exported and built apart, not this checkout's build
//
// Needs the test environment (bash scripts/test-env.sh up) and a build (npm run build).

import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connectBench } from './connect.js';
import { engineLatencyBench } from './engine-latency.js';
import { latencyBench } from './latency.js';
import { snapshotBuild } from './lib/build.js';
import { benchOptionsFromArgv, machineLine, repoRoot, rowsTable, type BenchOptions, type BenchResult, type Row } from './lib/runner.js';
import { listBench } from './list.js';
import { spawnBench } from './spawn.js';
import { uploadBench } from './upload.js';

const BENCHMARKS: ReadonlyArray<[string, (options: BenchOptions) => Promise<BenchResult>]> = [
  ['engine-latency', engineLatencyBench],
  ['list', listBench],
  ['connect', connectBench],
  ['spawn', spawnBench],
  ['upload', uploadBench],
  ['latency', latencyBench],
];

const RESULTS = path.join(repoRoot, 'bench', 'RESULTS.md');
const BEGIN = '<!-- bench:begin (written by bench/run-all.ts; text outside the markers is kept) -->';
const END = '<!-- bench:end -->';

const HOW_TO_READ = `# Benchmark results

\`npm run bench\` (bench/run-all.ts) writes the section between the markers below;
bench/README.md says what each benchmark measures. How to read the table:
each row compares the median wall time of our command (ours) with its
reference, measured in the same run with the variants alternating; \`ratio\` is
ours / reference, lower is better, and \`met\` says whether it is within the
target. Rows without a target (—) are for scale. The figures are for ratios
on one machine, not absolute: other developers run tests on the same engines,
so single runs are noisy (the load average is given).
`;

/** The first line a `--version`-like command prints (ssh -V prints on stderr). */
function version(argv: string[]): string {
  const result = spawnSync(argv[0] ?? 'true', argv.slice(1), { encoding: 'utf8', env: { PATH: process.env.PATH } });
  const text = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  return result.status === 0 && text !== '' ? (text.split('\n')[0] ?? '?') : '?';
}

function failedRow(name: string, error: unknown): Row {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  return { benchmark: name, comparison: `failed: ${message.replace(/\|/g, '\\|')}`, ours: '—', reference: '—', ratio: '—', target: '—', met: 'no' };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = benchOptionsFromArgv(argv);
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',') : undefined;
  const selected = BENCHMARKS.filter(([name]) => only === undefined || only.includes(name));
  if (selected.length === 0) throw new Error(`--only takes some of: ${BENCHMARKS.map(([name]) => name).join(', ')}`);

  const started = new Date();
  const loadBefore = os.loadavg()[0] ?? 0;
  const snapshot = await snapshotBuild({ fromHead: argv.includes('--head') });
  const results: BenchResult[] = [];
  for (const [name, bench] of selected) {
    process.stderr.write(`\n== ${name}\n`);
    const t0 = performance.now();
    try {
      results.push(await bench(options));
    } catch (error) {
      process.stderr.write(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      results.push({ name, rows: [failedRow(name, error)], details: [] });
    }
    process.stderr.write(`== ${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  await snapshot.remove();
  const loadAfter = os.loadavg()[0] ?? 0;
  const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(0);

  const table = rowsTable(results.flatMap((r) => r.rows));
  const context = [
    `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${minutes} min, measuring ${snapshot.label}, \`npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}\`${options.quick === true ? ' (quick: 3 runs each)' : ' (≥ 5 runs each)'}.`,
    `Machine: ${machineLine()}; Docker engine ${version(['docker', 'version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})'])} locally and on the test hosts (network namespaces on this machine, loopback-speed veth links); docker CLI ${version(['docker', 'version', '--format', '{{.Client.Version}}'])}; ${version(['ssh', '-V'])}; reference Dev Container CLI ${version([path.join(repoRoot, 'node_modules', '.bin', 'devcontainer'), '--version'])}. Load average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after.`,
  ].join('\n');
  process.stdout.write(`${context}\n\n${table}\n`);

  if (argv.includes('--no-write')) return;
  const details = results.flatMap((r) => [`### ${r.name}`, '', ...r.details, '']);
  const section = [BEGIN, `## Latest run — ${started.toISOString().slice(0, 10)}`, '', context, '', table, '', '## Details of that run', '', ...details, END].join('\n');
  let existing: string;
  try {
    existing = await readFile(RESULTS, 'utf8');
  } catch {
    existing = '';
  }
  const begin = existing.indexOf(BEGIN);
  const end = existing.indexOf(END);
  const next = begin >= 0 && end > begin ? `${existing.slice(0, begin)}${section}${existing.slice(end + END.length)}` : `${HOW_TO_READ}\n${section}\n`;
  await writeFile(RESULTS, next);
  process.stderr.write(`\nwritten to ${path.relative(process.cwd(), RESULTS)}\n`);
}

await main();
