// Command lines typed out of habit from docker, the Dev Container CLI and ssh,
// run in-process: what pks answers before any engine is contacted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runInProcess } from '../helpers/memory-io.js';

interface Row {
  argv: string[];
  code: number;
  stderr: RegExp;
}

// A HOME of this test's own, and an engine that cannot be there: a row that
// gets past the command line fails on it (exit 1) instead.
const home = mkdtempSync(path.join(tmpdir(), 'pks-habits-'));
after(() => rmSync(home, { recursive: true, force: true }));
const ENV = { HOME: home, PKS_HOME: path.join(home, '.pks'), DOCKER_HOST: `unix://${path.join(home, 'no-engine.sock')}` };

/** One test per row: its exit code and message, and nothing on stdout. */
function testRows(rows: readonly Row[]): void {
  for (const row of rows) {
    it(`pks ${row.argv.join(' ')}`, async () => {
      const result = await runInProcess(row.argv, ENV);
      assert.equal(result.code, row.code, result.stderr);
      assert.match(result.stderr, row.stderr);
      assert.equal(result.stdout, '');
    });
  }
}

const unknownWithSuggestion = (word: string, suggestion: string): RegExp => new RegExp(`^error: unknown command '${word}'\\n\\(Did you mean ${suggestion}\\?\\)\\n`);

const synonyms: Row[] = [
  { argv: ['devcontainer', 'up'], code: 2, stderr: unknownWithSuggestion('up', 'spawn') },
  { argv: ['dc', 'up', '--remote', 'r1'], code: 2, stderr: unknownWithSuggestion('up', 'spawn') },
  { argv: ['devcontainer', 'ssh', 'webapp'], code: 2, stderr: unknownWithSuggestion('ssh', 'shell') },
  { argv: ['dc', 'ps'], code: 2, stderr: unknownWithSuggestion('ps', 'list') },
  { argv: ['dc', 'remove', 'webapp'], code: 2, stderr: unknownWithSuggestion('remove', 'rm') },
  { argv: ['dc', 'attach'], code: 2, stderr: unknownWithSuggestion('attach', 'connect') },
  { argv: ['remote', 'delete', 'h1'], code: 2, stderr: unknownWithSuggestion('delete', 'remove') },
  // A devcontainer verb without its group.
  { argv: ['spawn', '.'], code: 2, stderr: unknownWithSuggestion('spawn', 'devcontainer spawn') },
  { argv: ['up'], code: 2, stderr: unknownWithSuggestion('up', 'devcontainer spawn') },
  { argv: ['ls'], code: 2, stderr: unknownWithSuggestion('ls', 'devcontainer list') },
  // Suggestions by spelling are still commander's.
  { argv: ['devcontainer', 'lst'], code: 2, stderr: /unknown command 'lst'\n\(Did you mean one of list, ls\?\)/ },
  { argv: ['dc', 'constructor'], code: 2, stderr: /^error: unknown command 'constructor'\n\(run with --help/ },
];

describe('an unknown command that another tool uses gets the pks command suggested', () => {
  testRows(synonyms);

  it('remote rm and remote ls are remote remove and remote list', async () => {
    const removed = await runInProcess(['remote', 'rm', 'nothere', '--yes'], ENV);
    assert.equal(removed.code, 2, removed.stderr);
    assert.match(removed.stderr, /^error: Unknown remote host "nothere"\./);
    const listed = await runInProcess(['remote', 'ls', '--format', 'json'], ENV);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), []);
  });
});

const conflicts: Row[] = [
  { argv: ['remote', 'add', 'h1', '--host', 'h.example.test', '--no-test', '--accept-new-host-key'], code: 2, stderr: /^error: option '--accept-new-host-key' cannot be used with option '--no-test'\n/ },
  { argv: ['remote', 'add', 'h1', '--host', 'h.example.test', '--timeout', '3', '--no-test'], code: 2, stderr: /^error: option '--timeout <seconds>' cannot be used with option '--no-test'\n/ },
  { argv: ['devcontainer', 'spawn', '.', '--no-launch', '--ide', 'code'], code: 2, stderr: /^error: --ide code cannot be combined with --no-launch\.\n {2}hint: Drop one/ },
  { argv: ['devcontainer', 'connect', 'webapp', '--ide', 'code-insiders', '--no-launch'], code: 2, stderr: /^error: --ide code-insiders cannot be combined with --no-launch\./ },
  { argv: ['devcontainer', 'spawn', '.', '--rebuild', '--no-rebuild'], code: 2, stderr: /^error: option '--no-rebuild' cannot be used with option '--rebuild'\n/ },
  { argv: ['devcontainer', 'list', '-q', '--format', 'json'], code: 2, stderr: /^error: option '-q, --quiet' cannot be used with option '--format <format>'\n/ },
];

describe('flags that contradict each other are refused (exit 2) before anything is done', () => {
  testRows(conflicts);

  it('--ide none with --no-launch agree, and are accepted', async () => {
    const result = await runInProcess(['devcontainer', 'connect', 'webapp', '--ide', 'none', '--no-launch'], ENV);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /Cannot reach the local engine/);
  });
});

describe('exec: an option after the container', () => {
  it('is refused when it would be the program to run, with the order to use', async () => {
    const result = await runInProcess(['devcontainer', 'exec', 'webapp', '--user', 'root', 'id'], ENV);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^error: --user comes after the container webapp, so it would be the command to run\.\n {2}hint: Put pks's options before the container: pks devcontainer exec --user … webapp <command>/);
  });

  it('is the command\'s when it follows the command or a --', async () => {
    for (const argv of [['dc', 'exec', 'webapp', 'ls', '-la'], ['dc', 'exec', 'webapp', '--', '--odd-program']]) {
      const result = await runInProcess(argv, ENV);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /Cannot reach the local engine/);
    }
  });
});
