import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperationError, UsageError } from '../../src/common/errors.js';
import { reportError } from '../../src/cli/render-error.js';
import { renderTable } from '../../src/cli/table.js';
import { memoryReporter } from '../helpers/memory-io.js';

const reporter = memoryReporter;

describe('reporter, text mode', () => {
  it('sends logs to stderr and data to stdout', () => {
    const { stdout, stderr, reporter: r } = reporter();
    r.info('connecting');
    r.warn('slow link', 'try --verbose');
    r.success('done');
    r.data('row 1');
    r.json({ a: 1 });
    assert.equal(stderr.text, 'connecting\nwarning: slow link\n  hint: try --verbose\n✔ done\n');
    assert.equal(stdout.text, 'row 1\n{\n  "a": 1\n}\n');
  });

  it('hides debug lines unless verbose', () => {
    const quiet = reporter();
    quiet.reporter.debug('secret detail');
    assert.equal(quiet.stderr.text, '');
    const loud = reporter({ verbose: true });
    loud.reporter.debug('detail');
    assert.equal(loud.stderr.text, 'debug: detail\n');
  });
});

describe('reporter, JSON mode', () => {
  it('writes one JSON object per message with time, level, code and hint', () => {
    const { stderr, stdout, reporter: r } = reporter({ logFormat: 'json' });
    r.info('pulling', 'I_PULL');
    r.warn('careful', 'do this');
    const lines = stderr.text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines, [
      { time: '2026-01-02T03:04:05.000Z', level: 'info', message: 'pulling', code: 'I_PULL' },
      { time: '2026-01-02T03:04:05.000Z', level: 'warn', message: 'careful', hint: 'do this' },
    ]);
    assert.equal(stdout.text, '');
  });
});

describe('error rendering', () => {
  it('prints an expected error with its hint, no stack, and returns its exit code', () => {
    const { stderr, reporter: r } = reporter();
    const code = reportError(r, new OperationError('E_ENGINE_UNREACHABLE', 'engine is down', { hint: 'start it' }));
    assert.equal(code, 1);
    assert.equal(stderr.text, 'error: engine is down\n  hint: start it\n');
  });

  it('usage errors exit with 2', () => {
    const { reporter: r } = reporter();
    assert.equal(reportError(r, new UsageError('bad flag')), 2);
  });

  it('shows the cause of an expected error only with --verbose', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' });
    const quiet = reporter();
    reportError(quiet.reporter, new OperationError('E_ENGINE_UNREACHABLE', 'engine is down', { cause }));
    assert.doesNotMatch(quiet.stderr.text, /ECONNREFUSED/);
    const loud = reporter({ verbose: true });
    reportError(loud.reporter, new OperationError('E_ENGINE_UNREACHABLE', 'engine is down', { cause }));
    assert.match(loud.stderr.text, /cause: connect ECONNREFUSED \/var\/run\/docker.sock \(ECONNREFUSED\)/);
  });

  it('reports an unexpected error as a bug, with the stack only when verbose', () => {
    const quiet = reporter();
    const code = reportError(quiet.reporter, new TypeError('x is undefined'));
    assert.equal(code, 1);
    assert.match(quiet.stderr.text, /^error: unexpected internal error: x is undefined\n {2}hint: This is a bug in pks\. Run the same command with --verbose/);
    assert.doesNotMatch(quiet.stderr.text, /\n\s+at /);
    const loud = reporter({ verbose: true });
    reportError(loud.reporter, new TypeError('x is undefined'));
    assert.match(loud.stderr.text, /\n\s+at /);
  });

  it('JSON mode carries the stable code', () => {
    const { stderr, reporter: r } = reporter({ logFormat: 'json' });
    reportError(r, new OperationError('E_ENGINE_UNREACHABLE', 'down', { hint: 'start it' }));
    const record = JSON.parse(stderr.text) as Record<string, unknown>;
    assert.equal(record.code, 'E_ENGINE_UNREACHABLE');
    assert.equal(record.hint, 'start it');
  });
});

describe('tables', () => {
  it('pads columns and trims trailing blanks', () => {
    const text = renderTable(
      [
        { header: 'ID', value: (r: { id: string; n: number }) => r.id },
        { header: 'N', value: (r) => String(r.n), align: 'right' },
        { header: 'NOTE', value: () => '' },
      ],
      [
        { id: 'a', n: 5 },
        { id: 'longer', n: 123 },
      ],
    );
    assert.equal(text, 'ID        N  NOTE\na         5\nlonger  123');
  });
});

describe('the live upload line', () => {
  it('gives the share done, the rate and the time left', async () => {
    const { uploadLine } = await import('../../src/cli/commands/devcontainer/spawn-render.js');
    assert.equal(uploadLine(12 * 1024 ** 2, 48 * 1024 ** 2, 1.5), '12.0 MiB / 48.0 MiB (25%, 8.0 MiB/s, 5 s left)');
    assert.equal(uploadLine(48 * 1024 ** 2, 48 * 1024 ** 2, 6), '48.0 MiB / 48.0 MiB (100%, 8.0 MiB/s)');
    assert.equal(uploadLine(0, 0, 0.001), '0 B / 0 B (100%, 0 B/s)');
  });
});
