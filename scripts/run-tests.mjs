// Runs the test suite: `node scripts/run-tests.mjs [unit|integration|e2e ...]`
// (default: all). Integration and end-to-end tests need the real test
// environment (Docker engines, SSH hosts): when it is not up, this brings it up
// with scripts/test-env.sh, and fails loudly if that is not possible — the
// suite never silently skips them.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
process.exit(
  run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files]),
);
