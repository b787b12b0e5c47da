// `npm run lint` checks the shell scripts with shellcheck, and says which
// package to install when shellcheck is missing rather than passing quietly.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/test-env.js';

const script = path.join(repoRoot, 'scripts', 'lint-shell.mjs');

describe('lint: shellcheck', () => {
  it('fails naming the Debian package when shellcheck is not on PATH', () => {
    // A PATH holding node and nothing else.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'pks-lint-'));
    try {
      symlinkSync(process.execPath, path.join(bin, 'node'));
      const result = spawnSync(path.join(bin, 'node'), [script], { env: { PATH: bin }, encoding: 'utf8' });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /shellcheck is not installed: install Debian's shellcheck package/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
