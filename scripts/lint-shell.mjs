// `npm run lint`, shell part: shellcheck over the project's bash scripts (the
// test environment and CI). Each file is checked on its own; -x lets
// scripts/test-env.sh follow the component files it sources, so variables they
// use count as used. Fails, naming the package, when shellcheck is missing.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const components = readdirSync(path.join(root, 'scripts', 'test-env'))
  .filter((name) => name.endsWith('.sh'))
  .sort()
  .map((name) => path.join('scripts', 'test-env', name));
const files = ['scripts/test-env.sh', ...components, '.ci/run'];

const result = spawnSync('shellcheck', ['-x', ...files], { cwd: root, stdio: 'inherit' });
if (result.error) {
  const missing = result.error.code === 'ENOENT';
  console.error(
    missing
      ? "lint: shellcheck is not installed: install Debian's shellcheck package (apt-get install shellcheck; scripts/test-env.sh up installs it)."
      : `lint: could not run shellcheck: ${result.error.message}`,
  );
  process.exit(1);
}
if (result.status !== 0) {
  console.error(`lint: shellcheck found problems in the shell scripts (exit ${result.status ?? result.signal}).`);
  process.exit(1);
}
console.log(`lint: shellcheck: ${files.length} shell scripts clean`);
