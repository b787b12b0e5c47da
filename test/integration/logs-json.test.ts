// `pks devcontainer logs --format json` against the real engines: one JSON
// object per line with the stream, the engine's time and the text; a TTY
// container's one stream; a last line without a line break; control bytes
// JSON-escaped; and the lifecycle hooks' records with --hooks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeHookRecords } from '../../src/core/containers/hook-records.js';
import type { EngineClient } from '../../src/engine/index.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';
import { waitFor } from '../helpers/wait.js';
import { createDevcontainer, openHosts, removeDevcontainerFixture, runPks, uniqueName, type FakeDevcontainer, type FakeOptions, type Hosts } from './lifecycle-fixtures.js';

let testEnv: TestEnv;
let hosts: Hosts;

before(async () => {
  testEnv = loadTestEnv();
  hosts = await openHosts(testEnv);
});
after(() => hosts.cleanup());

interface Record {
  type: string;
  stream?: string;
  time?: string | null;
  text?: string;
  hook?: string;
  exitCode?: number;
  output?: string;
}

function records(stdout: string): Record[] {
  assert.ok(stdout.endsWith('\n'), stdout);
  return stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record);
}

for (const where of ['local', 'r1'] as const) {
  describe(`logs --format json (${where === 'local' ? 'local engine' : 'remote host r1'})`, () => {
    const made: FakeDevcontainer[] = [];
    const engine = (): EngineClient => (where === 'local' ? hosts.local : hosts.r1);
    const pks = (args: string[]) => runPks(['devcontainer', 'logs', ...(where === 'local' ? [] : ['--remote', 'r1']), ...args], { env: hosts.env });
    const make = async (options: Partial<FakeOptions>): Promise<FakeDevcontainer> => {
      const fake = await createDevcontainer(engine(), { image: testEnv.images.busybox, project: uniqueName('pkslogj'), host: where, ...options });
      made.push(fake);
      return fake;
    };
    after(() => Promise.all(made.map((fake) => removeDevcontainerFixture(engine(), fake))));

    it('one object per line: stream, the engine\'s time, the text; a last line without a break too', async () => {
      const fake = await make({ prelude: `echo problem >&2; sleep 0.5; echo one; printf 'tab\\there \\033[31mred\\n'; printf 'no break'` });
      await waitFor(async () => (await pks([fake.project])).stdout.includes('red'));
      // The engine keeps a line without a break until the output ends: stop the container.
      await engine().requestEmpty({ method: 'POST', path: `/containers/${fake.id}/stop`, query: { t: 5 } });
      await waitFor(async () => (await pks([fake.project])).stdout.includes('no break'));
      const result = await pks([fake.project, '--format', 'json']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      const lines = records(result.stdout);
      assert.deepEqual(
        lines.map(({ type, stream, text }) => ({ type, stream, text })),
        [
          { type: 'log', stream: 'stderr', text: 'problem' },
          { type: 'log', stream: 'stdout', text: 'one' },
          { type: 'log', stream: 'stdout', text: 'tab\there \u001b[31mred' },
          { type: 'log', stream: 'stdout', text: 'no break' },
        ],
      );
      for (const line of lines) assert.ok(!Number.isNaN(Date.parse(line.time ?? '')), `time ${line.time}`);
      // The escape byte reaches the terminal only JSON-escaped.
      assert.ok(!result.stdout.includes('\u001b'));
      const tail = records((await pks([fake.project, '--format', 'json', '--tail', '1'])).stdout);
      assert.deepEqual(tail.map((line) => line.text), ['no break']);
    });

    it('a TTY container has one stream, reported as stdout', async () => {
      const fake = await make({ tty: true, prelude: 'echo ttyline' });
      await waitFor(async () => (await pks([fake.project])).stdout.includes('ttyline'));
      const lines = records((await pks([fake.project, '--format', 'json'])).stdout);
      assert.deepEqual(lines.map(({ stream, text }) => ({ stream, text })), [{ stream: 'stdout', text: 'ttyline' }]);
    });

    it('--hooks --format json: one record per hook command, with its exit code and output', async () => {
      const fake = await make({});
      const record = { command: 'echo hi', exitCode: 3, startedAt: new Date().toISOString(), durationMs: 12, output: 'hi\n' };
      await writeHookRecords(engine(), fake.id, 'postCreateCommand', [{ hook: 'postCreateCommand', ...record }]);
      const result = await pks(['--hooks', fake.project, '--format', 'json']);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(records(result.stdout), [{ type: 'hook', hook: 'postCreateCommand', ...record }]);
    });
  });
}
