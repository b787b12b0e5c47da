// Runs the test suite: `node scripts/run-tests.mjs [unit|integration|e2e ...]`
// (default: all). Integration and end-to-end tests need the real test
// environment (Docker engines, SSH hosts): when it is not up, this brings it up
// with scripts/test-env.sh, and fails loudly if that is not possible — the
// suite never silently skips them. At the end it prints the slowest files and
// the whole run's duration, followed by node's own pass/fail summary.
//
// Unit files run as JavaScript that esbuild compiled once for the whole run
// (see compileForNode below) rather than through the tsx loader, which costs
// every test process about half a second of CPU to start. Integration and
// end-to-end files still run through tsx.
import { build, transform } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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

const unitFiles = suites.includes('unit') ? testFiles('unit') : [];
const otherFiles = suites.filter((s) => s !== 'unit').flatMap(testFiles);
const fileCount = unitFiles.length + otherFiles.length;
if (fileCount === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
// The spec reporter on stdout as before, plus one that records each file's
// duration in a scratch file, summarised below.
const scratch = mkdtempSync(path.join(tmpdir(), 'pks-run-tests-'));
// One record per run of node's runner (the unit files, then the others).
const records = [];
const started = Date.now();
// Which test file a compiled one stands for, for the summary.
const sourceOf = new Map();
let status = 0;
if (unitFiles.length > 0) {
  const compiled = await compileForNode(unitFiles, path.join(scratch, 'unit'));
  if (compiled === undefined) {
    status = 1;
  } else {
    unitFiles.forEach((file, i) => sourceOf.set(compiled[i], file));
    // Unit files only wait on their own child processes and timers, so more
    // run at once than of the others (PKS_TEST_CONCURRENCY overrides).
    status = runTests('unit', ['--enable-source-maps'], compiled, process.env.PKS_TEST_CONCURRENCY ?? '4');
  }
}
// Integration and end-to-end files share the engines and the SSH hosts: two
// at a time.
if (otherFiles.length > 0) {
  status = Math.max(status, runTests('others', ['--import', 'tsx'], otherFiles, process.env.PKS_TEST_CONCURRENCY ?? '2'));
}
printSummary(records.flatMap(readRecord), fileCount, Date.now() - started);
rmSync(scratch, { recursive: true, force: true });
process.exit(status);

function runTests(name, nodeOptions, files, concurrency) {
  const record = path.join(scratch, `${name}.jsonl`);
  records.push(record);
  return run(process.execPath, [
    ...nodeOptions, '--test', `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${pathToFileURL(path.join(root, 'scripts', 'test-durations-reporter.mjs')).href}`, `--test-reporter-destination=${record}`,
    ...files,
  ]);
}

/**
 * Compiles the given test files and every file of ours they import (found by
 * esbuild's resolver, dynamic imports included) into `outDir`, one
 * JavaScript module per TypeScript file at the same relative path, with an
 * inline source map to the original. Other files they import (JSON, plain
 * JavaScript) are linked, not copied, and so are node_modules and
 * package.json. `import.meta.url` (and `.filename`, `.dirname`) keep naming
 * the original file, so fixtures and folders found relative to a module are
 * the repository's own. Returns the compiled test files in the given order,
 * or undefined when a file does not compile (esbuild has printed why).
 */
async function compileForNode(files, outDir) {
  const tsconfigRaw = readFileSync(path.join(root, 'tsconfig.json'), 'utf8');
  const target = `node${process.versions.node}`;
  const compiling = [];
  // Each TypeScript file is compiled on its own as the resolver reaches it.
  const compileEach = {
    name: 'compile-each',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.ts$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        const compiled = compileModule(args.path, source);
        compiled.catch(() => undefined); // reported by the Promise.all below
        compiling.push(compiled);
        return { contents: source, loader: 'ts' };
      });
    },
  };
  async function compileModule(file, source) {
    const url = pathToFileURL(file).href;
    const { code } = await transform(source, {
      loader: 'ts', format: 'esm', target, tsconfigRaw, sourcefile: url, sourcemap: 'inline', sourcesContent: false,
      define: {
        'import.meta.url': JSON.stringify(url),
        'import.meta.filename': JSON.stringify(file),
        'import.meta.dirname': JSON.stringify(path.dirname(file)),
      },
    });
    const out = path.join(outDir, path.relative(root, file).replace(/\.ts$/, '.js'));
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, code);
  }
  let inputs;
  try {
    // Bundling only to walk the imports: its output is not written.
    const { metafile } = await build({
      absWorkingDir: root, entryPoints: files, bundle: true, splitting: true, write: false, metafile: true,
      platform: 'node', format: 'esm', packages: 'external', outdir: outDir, logLevel: 'error', treeShaking: false,
      plugins: [compileEach],
    });
    inputs = Object.keys(metafile.inputs);
    await Promise.all(compiling);
  } catch {
    console.error('run-tests: the unit test files do not compile (see above)');
    return undefined;
  }
  const outside = inputs.filter((rel) => rel.startsWith('..') || path.isAbsolute(rel));
  if (outside.length > 0) {
    console.error(`run-tests: unit test files import files outside the repository: ${outside.join(', ')}`);
    return undefined;
  }
  const links = ['node_modules', 'package.json', ...inputs.filter((rel) => !rel.endsWith('.ts'))];
  for (const rel of new Set(links)) {
    mkdirSync(path.dirname(path.join(outDir, rel)), { recursive: true });
    symlinkSync(path.join(root, rel), path.join(outDir, rel));
  }
  return files.map((rel) => path.join(outDir, rel.replace(/\.ts$/, '.js')));
}

function readRecord(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

/**
 * The slowest files and the whole run's wall time, then node's own closing
 * summary again (pass N, fail N, ..., duration_ms; the runs' added up), so it
 * stays the last thing printed.
 */
function printSummary(entries, fileCount, wallMs) {
  const perFile = new Map();
  for (const { file, ms } of entries.filter((e) => e.file !== undefined)) {
    const name = sourceOf.get(file) ?? (path.isAbsolute(file) ? path.relative(root, file) : file);
    perFile.set(name, (perFile.get(name) ?? 0) + ms);
  }
  const slowest = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 15);
  const secs = (ms) => `${(ms / 1000).toFixed(1)} s`.padStart(9);
  const lines = ['', `run-tests: slowest test files (of ${fileCount}; the sum of each file's top-level tests, hooks included)`];
  for (const [name, ms] of slowest) lines.push(`${secs(ms)}  ${name}`);
  lines.push(`run-tests: whole run ${secs(wallMs).trim()} wall`);
  // Unit files and the others run as two runs of node's runner: their counts added up.
  const totals = new Map();
  for (const { summary } of entries.filter((e) => e.summary !== undefined)) {
    const [key, value] = summary.split(' ');
    totals.set(key, (totals.get(key) ?? 0) + Number(value));
  }
  for (const [key, value] of totals) lines.push(`ℹ ${key} ${key === 'duration_ms' ? value.toFixed(3) : value}`);
  console.log(lines.join('\n'));
}
