// A hook's exit code reported at the end of its standard error by its shell
// (src/core/containers/exit-report.ts): read out of the output as it comes,
// in chunks cut anywhere, and never taken from output that only looks like it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ExitReportReader, isStatusFile, withExitReport, statusFileFor, unwrapReporting } from '../../src/core/containers/exit-report.js';

/** Feeds `chunks` to a reader: what it passed on, and the code it found. */
function read(chunks: readonly string[]): { text: string; exitCode: number | undefined } {
  const reader = new ExitReportReader();
  const text = chunks.map((chunk) => reader.read(chunk)).join('') + reader.end();
  return { text, exitCode: reader.exitCode };
}

describe('exit report', () => {
  it('takes the report out of the output and keeps its code, however the chunks are cut', () => {
    const whole = 'warning: x\n\u0000pks-exit:3\n';
    for (let cut = 0; cut <= whole.length; cut++) {
      assert.deepEqual(read([whole.slice(0, cut), whole.slice(cut)]), { text: 'warning: x\n', exitCode: 3 }, `cut at ${cut}`);
    }
    assert.deepEqual(read([...whole]), { text: 'warning: x\n', exitCode: 3 });
  });

  it('passes on NULs and look-alikes that are not a report, and finds none in them', () => {
    assert.deepEqual(read(['a\u0000b\n', '\u0000pks-exit:x\n', '\u0000pks-ex']), { text: 'a\u0000b\n\u0000pks-exit:x\n\u0000pks-ex', exitCode: undefined });
    assert.deepEqual(read(['no report at all\n']), { text: 'no report at all\n', exitCode: undefined });
  });

  it('output after the report (a background process of the hook) is passed on', () => {
    assert.deepEqual(read(['\u0000pks-exit:0\nlate line\n']), { text: 'late line\n', exitCode: 0 });
  });

  it('a real shell: the wrapper prints the command\'s status last, keeps its output, writes its status file and exits with the status', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pks-exit-report-'));
    try {
      for (const [script, code, err] of [['echo out; echo err >&2; exit 7', 7, 'err\n'], ['exec true', 0, ''], ['false', 1, '']] as const) {
        const statusFile = path.join(dir, 'status');
        await writeFile(statusFile, '99\n'); // an earlier run's
        const [command = '', ...args] = withExitReport(['/bin/sh', '-c', script], statusFile);
        const run = spawnSync(command, args, { encoding: 'utf8' });
        assert.equal(run.status, code, script);
        assert.deepEqual(read([run.stderr]), { text: err, exitCode: code }, script);
        assert.equal(await readFile(statusFile, 'utf8'), `${code}\n`, script);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('nobody reading stderr any more (pks killed while the hook ran): the exit code stays the command\'s', async () => {
    for (const code of [0, 3]) {
      const [command = '', ...args] = withExitReport(['/bin/sh', '-c', `sleep 0.3; exit ${code}`], '/nonexistent-dir/status');
      const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.destroy();
      const [status, signal] = (await once(child, 'exit')) as [number | null, string | null];
      assert.deepEqual({ status, signal }, { status: code, signal: null });
    }
  });

  it('a status file is named per hook command, and only such names are taken for one', () => {
    const file = statusFileFor('postCreateCommand', ['/bin/sh', '-c', 'make']);
    assert.equal(file, statusFileFor('postCreateCommand', ['/bin/sh', '-c', 'make']));
    assert.notEqual(file, statusFileFor('postStartCommand', ['/bin/sh', '-c', 'make']));
    assert.ok(isStatusFile(file));
    assert.ok(!isStatusFile('/etc/passwd') && !isStatusFile(`${file}/../../etc/shadow`));
    assert.deepEqual(unwrapReporting(withExitReport(['make', 'all'], file)), { argv: ['make', 'all'], statusFile: file });
    assert.equal(unwrapReporting(withExitReport(['make'], '/etc/passwd')), undefined);
  });
});
