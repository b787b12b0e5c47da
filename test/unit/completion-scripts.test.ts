// `pks completion bash|zsh|fish`: each script is compared with its golden
// file (PKS_UPDATE_GOLDEN=1 refreshes them) and must parse in its shell
// (bash -n, zsh -n, fish --no-execute; all three are installed here).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/program.js';
import { memoryIo } from '../helpers/memory-io.js';

const exec = promisify(execFile);
const GOLDEN = path.resolve('test/golden/completion');
const SYNTAX_CHECK: Record<string, string[]> = { bash: ['bash', '-n'], zsh: ['zsh', '-n'], fish: ['fish', '--no-execute'] };

describe('pks completion <shell>', () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    it(`prints the ${shell} script, as in its golden file, and ${shell} parses it`, async () => {
      const io = memoryIo({ HOME: '/home/test' });
      assert.equal(await runCli(['completion', shell], io), 0, io.stderr.text);
      assert.equal(io.stderr.text, '');
      const file = path.join(GOLDEN, `pks-completion-${shell}.txt`);
      if (process.env.PKS_UPDATE_GOLDEN === '1') writeFileSync(file, io.stdout.text);
      assert.equal(io.stdout.text, readFileSync(file, 'utf8'), `pks completion ${shell} changed (PKS_UPDATE_GOLDEN=1 refreshes it)`);
      const dir = await mkdtemp(path.join(os.tmpdir(), 'pks-completion-'));
      try {
        const script = path.join(dir, `pks.${shell}`);
        await writeFile(script, io.stdout.text);
        const [command = shell, ...args] = SYNTAX_CHECK[shell] ?? [];
        await exec(command, [...args, script]); // rejects on a syntax error
        // The check can fail: the script without the end of its function does not parse.
        const cut = io.stdout.text.lastIndexOf(shell === 'fish' ? '\nend' : '\n}');
        assert.ok(cut > 0);
        await writeFile(script, io.stdout.text.slice(0, cut));
        await assert.rejects(exec(command, [...args, script]));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('refuses a shell it has no script for, as a usage error', async () => {
    const io = memoryIo({ HOME: '/home/test' });
    assert.equal(await runCli(['completion', 'tcsh'], io), 2);
    assert.match(io.stderr.text, /'tcsh' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish/);
  });
});
