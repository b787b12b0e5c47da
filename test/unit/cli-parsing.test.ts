// The command tree as a table: each row is a command line and what pks must
// do with it (exit code and a fragment of its output), run in-process.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInProcess } from '../helpers/memory-io.js';

interface Row {
  argv: string[];
  code: number;
  stdout?: RegExp;
  stderr?: RegExp;
}

const rows: Row[] = [
  { argv: ['--help'], code: 0, stdout: /Usage: pks .*\n[\s\S]*devcontainer\|dc[\s\S]*remote[\s\S]*Examples:/ },
  { argv: ['--version'], code: 0, stdout: /^\d+\.\d+\.\d+\n$/ },
  { argv: ['-V'], code: 0, stdout: /^\d+\.\d+\.\d+\n$/ },
  { argv: ['devcontainer', '--help'], code: 0, stdout: /spawn[\s\S]*list[\s\S]*connect[\s\S]*stop[\s\S]*start[\s\S]*restart[\s\S]*logs[\s\S]*exec[\s\S]*rm[\s\S]*rebuild/ },
  { argv: ['dc', '--help'], code: 0, stdout: /Usage: pks devcontainer/ },
  { argv: ['remote', '--help'], code: 0, stdout: /add[\s\S]*list[\s\S]*test[\s\S]*remove[\s\S]*Examples:/ },
  { argv: ['remote', 'add', '--help'], code: 0, stdout: /--host <host>[\s\S]*--accept-new-host-key/ },
  // Usage mistakes: exit 2, the message names the problem, suggestions where close.
  { argv: [], code: 2, stderr: /Usage: pks/ },
  { argv: ['remote'], code: 2, stderr: /Usage: pks remote/ },
  { argv: ['devcontainr'], code: 2, stderr: /unknown command 'devcontainr'[\s\S]*Did you mean devcontainer\?/ },
  { argv: ['devcontainer', 'lst'], code: 2, stderr: /unknown command 'lst'[\s\S]*Did you mean one of list, ls\?/ },
  { argv: ['devcontainer', 'list', '--al'], code: 2, stderr: /unknown option '--al'[\s\S]*Did you mean --all\?/ },
  { argv: ['devcontainer', 'list', '--format', 'yaml'], code: 2, stderr: /argument 'yaml' is invalid[\s\S]*table, json/ },
  { argv: ['remote', 'add', 'h1'], code: 2, stderr: /required option '--host <host>' not specified/ },
  { argv: ['remote', 'add', 'Bad Id', '--host', 'x'], code: 2, stderr: /lowercase letters/ },
  { argv: ['remote', 'add', 'local', '--host', 'x'], code: 2, stderr: /"local" names the local engine/ },
  { argv: ['remote', 'add', 'h1', '--host', 'dev@x:2222', '--user', 'other'], code: 2, stderr: /--host "dev@x:2222" names the user dev, but --user says other/ },
  { argv: ['remote', 'add', 'h1', '--host', 'x:99999'], code: 2, stderr: /is not a host name or address/ },
  { argv: ['remote', 'add', 'h1', '--host', 'x', '--port', '70000'], code: 2, stderr: /port is a whole number from 1 to 65535/ },
  { argv: ['remote', 'add', 'h1', '--host', 'x', '--port', '22x'], code: 2, stderr: /port is a whole number/ },
  { argv: ['devcontainer', 'stop', 'p', '--timeout', '-1'], code: 2, stderr: /whole number/ },
  { argv: ['devcontainer', 'exec', '--env', 'NOEQUALS', 'p', '--', 'ls'], code: 2, stderr: /KEY=VALUE/ },
  { argv: ['devcontainer', 'list', '--remote', 'UPPER'], code: 2, stderr: /lowercase letters/ },
  { argv: ['--log-format', 'xml', 'remote', 'list'], code: 2, stderr: /argument 'xml' is invalid/ },
  // Checked before any engine is contacted: a usage error with the next step.
  { argv: ['devcontainer', 'exec', 'box'], code: 2, stderr: /^error: No command to run\.\n {2}hint: Put the command after --/ },
  { argv: ['devcontainer', 'spawn', '--rebuild', '--auto-rebuild', '/nonexistent'], code: 2, stderr: /--auto-rebuild cannot be combined/ },
];

describe('command line parsing', () => {
  for (const row of rows) {
    it(`pks ${row.argv.join(' ')} → exit ${row.code}`, async () => {
      const result = await runInProcess(row.argv);
      assert.equal(result.code, row.code, `stderr was: ${result.stderr}`);
      if (row.stdout) assert.match(result.stdout, row.stdout);
      if (row.stderr) assert.match(result.stderr, row.stderr);
      assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
    });
  }

  it('--log-format json turns error messages into JSON lines on stderr', async () => {
    const result = await runInProcess(['--log-format', 'json', 'devcontainer', 'exec', 'box']);
    assert.equal(result.code, 2);
    const record = JSON.parse(result.stderr.trim()) as Record<string, unknown>;
    assert.equal(record.level, 'error');
    assert.equal(record.code, 'E_NO_COMMAND');
    assert.equal(result.stdout, '');
  });

  it('--log-format json covers the command line\'s own mistakes too', async () => {
    for (const argv of [['--log-format', 'json', 'dc', 'spwn'], ['--log-format=json', 'devcontainer', 'list', '--formt', 'json']]) {
      const result = await runInProcess(argv);
      assert.equal(result.code, 2);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
      assert.equal(record.level, 'error');
      assert.equal(record.code, 'E_USAGE');
      assert.match(String(record.message), /^unknown (command 'spwn' \(Did you mean spawn\?\)|option '--formt' \(Did you mean --format\?\))$/);
      assert.equal(record.hint, 'run with --help for usage');
    }
  });

  it('spawn --format json prints an outcome object for a bad argument too', async () => {
    const result = await runInProcess(['devcontainer', 'spawn', '/nonexistent-pks-folder', '--format', 'json']);
    assert.equal(result.code, 2);
    assert.deepEqual(JSON.parse(result.stdout), {
      outcome: 'error',
      code: 'E_PROJECT_NOT_FOUND',
      message: '/nonexistent-pks-folder is not a folder.',
      hint: 'Pass the project folder: pks devcontainer spawn <path>',
    });
  });
});
