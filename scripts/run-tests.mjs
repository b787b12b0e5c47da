// Runs the test suite: `node scripts/run-tests.mjs [unit|integration|e2e ...]`
// (default: all). Integration and end-to-end tests need the real test
// environment (Docker engines, SSH hosts): when it is not up, this brings it up
// with scripts/test-env.sh, and fails loudly if that is not possible — the
// suite never silently skips them. At the end it prints the slowest files and
// the whole run's duration, followed by node's own pass/fail summary.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ALL = ['unit', 'integration', 'e2e'];
const suites = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL;
for (const suite of suites) {
  if (!ALL.includes(suite)) {
    console.error(`run-tests: unknown suite '${suite}' (expected: ${ALL.join(', ')})`);
    process.exit(2);
  }
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function testFiles(dir) {
  const full = path.join(root, 'test', dir);
  const found = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.test.ts')) found.push(path.relative(root, p));
    }
  };
  walk(full);
  return found;
}

if (suites.some((s) => s !== 'unit')) {
  const quiet = { stdio: ['ignore', 'ignore', 'ignore'] };
  if (run('bash', ['scripts/test-env.sh', 'status'], quiet) !== 0) {
    console.error('run-tests: the test environment is not up; starting it with scripts/test-env.sh up');
    if (run('bash', ['scripts/test-env.sh', 'up']) !== 0) {
      console.error('run-tests: the test environment could not be brought up (see above); integration tests cannot run.');
      process.exit(1);
    }
  }
}
// PKS_TEST_SKIP_BUILD=1: the caller has just built dist/ (CI: npm ci's prepare).
if (suites.includes('e2e') && process.env.PKS_TEST_SKIP_BUILD === '1') {
  console.error('run-tests: using the existing build in dist/ (PKS_TEST_SKIP_BUILD=1)');
} else if (suites.includes('e2e') && run('node', ['scripts/build.mjs']) !== 0) {
  console.error('run-tests: build failed');
  process.exit(1);
}

const files = suites.flatMap(testFiles);
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
// The spec reporter on stdout as before, plus one that records each file's
// duration in a scratch file, summarised below.
const scratch = mkdtempSync(path.join(tmpdir(), 'pks-run-tests-'));
const record = path.join(scratch, 'durations.jsonl');
// Integration and end-to-end files share the engines and the SSH hosts: two
// at a time. Unit files only wait on their own child processes and timers,
// so a run of them alone keeps more in flight (PKS_TEST_CONCURRENCY overrides).
const concurrency = process.env.PKS_TEST_CONCURRENCY ?? (suites.every((s) => s === 'unit') ? '4' : '2');
const started = Date.now();
const status = run(process.execPath, [
  '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${pathToFileURL(path.join(root, 'scripts', 'test-durations-reporter.mjs')).href}`, `--test-reporter-destination=${record}`,
  ...files,
]);
printSummary(readRecord(record), files.length, Date.now() - started);
rmSync(scratch, { recursive: true, force: true });
process.exit(status);

function readRecord(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

/**
 * The slowest files and the whole run's wall time, then node's own closing
 * summary again (pass N, fail N, ..., duration_ms), so it stays the last
 * thing printed.
 */
function printSummary(entries, fileCount, wallMs) {
  const perFile = new Map();
  for (const { file, ms } of entries.filter((e) => e.file !== undefined)) {
    const name = path.isAbsolute(file) ? path.relative(root, file) : file;
    perFile.set(name, (perFile.get(name) ?? 0) + ms);
  }
  const slowest = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 15);
  const secs = (ms) => `${(ms / 1000).toFixed(1)} s`.padStart(9);
  const lines = ['', `run-tests: slowest test files (of ${fileCount}; the sum of each file's top-level tests, hooks included)`];
  for (const [name, ms] of slowest) lines.push(`${secs(ms)}  ${name}`);
  lines.push(`run-tests: whole run ${secs(wallMs).trim()} wall`);
  for (const { summary } of entries.filter((e) => e.summary !== undefined)) lines.push(`ℹ ${summary}`);
  console.log(lines.join('\n'));
}
