// Security checks, part 4: text that comes from an engine, a label or a build
// reaches the terminal escaped. Any docker user of a shared host can label a
// container as pks-managed with a project name full of terminal escape
// sequences (set the window title, clear the screen, C1 controls, bidi
// overrides); a failing build prints the engine's colour codes. pks's tables,
// details, messages and JSON lines must carry none of those bytes raw.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as z from 'zod';
import type { EngineClient } from '../../src/engine/index.js';
import { E2eFixture } from '../helpers/e2e-fixture.js';
import { assertErrorCode } from '../helpers/error-codes.js';
import { STACK_TRACE, pksBin, type PksResult } from '../helpers/pks-cli.js';
import type { Where } from '../helpers/projects.js';
import { repoRoot } from '../helpers/test-env.js';
import { inTerminal, shellQuote, type Terminal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

const run = randomBytes(4).toString('hex');
const fixture = new E2eFixture(['local', 'r1']);

/** Controls a terminal acts on; \t and \n are layout and allowed. */
const RAW_CONTROL = /(?![\t\n])[\p{Cc}\p{Bidi_Control}]/u;
const SGR = new RegExp(`${'\x1b'}\\[[0-9;:]*m`);

const HOSTILE_PROJECT = `evil-${run}\x1b]0;OWNED\x07\x1b[2J\x9b31mC1\x1bP+q\x1b\\\u202eright\nSPOOF-${run}`;
const HOSTILE_LABELS: Record<string, string> = {
  'pks.managed': 'true',
  'pks.project.name': HOSTILE_PROJECT,
  'pks.project.path': `/srv/evil-${run}\x1b[8m\r\x1b]8;;http://x\x07link`,
  'pks.spawn.date': '2026-01-01T00:00:00.000Z\x1b[5m',
  'pks.volume.name': `vol-${run}\x07\x1b(0`,
  'pks.workspace.folder': '/workspaces/w\x1b[?1049h',
  [`x.evil-key\x1b[2J`]: 'value\x9d0;TITLE\x9c',
};

/** Another user's container, by its pks.spawned.by: shown by inspect whoever spawned it. */
const HOSTILE_OWNER_LABELS: Record<string, string> = {
  ...HOSTILE_LABELS,
  'pks.project.name': `owner-${run}\x1b]0;OWNED\x07`,
  'pks.spawned.by': `mallory\x1b[1A\x1b[2K\nSPOOF-${run}`,
};

const created: Array<{ where: Where; id: string }> = [];

function assertTerminalSafe(result: PksResult, what: string): void {
  for (const [stream, text] of [['stdout', result.stdout], ['stderr', result.stderr]] as const) {
    const bad = RAW_CONTROL.exec(text);
    assert.equal(bad, null, `${what}: raw control ${JSON.stringify(bad?.[0])} on ${stream}:\n${JSON.stringify(text)}`);
    assert.ok(!text.split('\n').some((line) => line.trimStart().startsWith(`SPOOF-${run}`)), `${what}: a label started a line of its own on ${stream}`);
  }
  assert.doesNotMatch(result.stderr, STACK_TRACE);
}

async function createHostile(where: Where, suffix: string, labels = HOSTILE_LABELS): Promise<string> {
  const engine: EngineClient = fixture.engine(where);
  const answer = await engine.request(
    {
      method: 'POST',
      path: '/containers/create',
      query: { name: `pks-termsafe-${run}-${suffix}` },
      body: { Image: fixture.env.images.busybox, Cmd: ['sleep', '600'], Labels: labels },
    },
    z.looseObject({ Id: z.string() }),
  );
  created.push({ where, id: answer.Id });
  return answer.Id;
}

function remote(where: Where): string[] {
  return where === 'local' ? [] : ['--remote', where];
}

before(async () => {
  await fixture.setUp();
  // Two of the same project per engine: a prefix of the name is ambiguous.
  for (const where of ['local', 'r1'] as const) {
    await createHostile(where, 'a');
    await createHostile(where, 'b');
    await createHostile(where, 'owner', HOSTILE_OWNER_LABELS);
  }
});

after(async () => {
  for (const { where, id } of created) {
    await fixture.engine(where).requestEmpty({ method: 'DELETE', path: `/containers/${id}`, query: { force: true }, okStatuses: [404] });
  }
  await fixture.tearDown();
});

describe('terminal safety: hostile labels on the local engine and on a remote host', { concurrency: 2 }, () => {
  for (const where of ['local', 'r1'] as const) {
    it(`list, list --format json, inspect and lookup failures on ${where} print no raw control characters`, async () => {
      const sb = fixture.sandbox;
      const table = await sb.run(['devcontainer', 'list', '--all', ...remote(where)]);
      assert.equal(table.code, 0, table.stderr);
      assertTerminalSafe(table, `list on ${where}`);
      const rows = table.stdout.split('\n').filter((line) => line.includes(`evil-${run}`));
      assert.equal(rows.length, 2, `both hostile containers are listed, one line each:\n${table.stdout}`);
      for (const row of rows) assert.ok(row.includes(`evil-${run}\\x1b]0;OWNED\\x07\\x1b[2J\\x9b31mC1`), `shown escaped: ${row}`);

      const json = await sb.run(['devcontainer', 'list', '--all', '--format', 'json', ...remote(where)]);
      assert.equal(json.code, 0, json.stderr);
      assertTerminalSafe(json, `list --format json on ${where}`);
      const listed = (JSON.parse(json.stdout) as Array<{ project: string; projectPath: string | null; name: string }>).filter((c) => c.project.startsWith(`evil-${run}`));
      assert.equal(listed.length, 2);
      assert.equal(listed[0]?.project, HOSTILE_PROJECT, 'JSON carries the exact value, escaped the JSON way');
      assert.equal(listed[0]?.projectPath, HOSTILE_LABELS['pks.project.path']);

      for (const format of ['table', 'json']) {
        for (const suffix of ['a', 'owner']) {
          const inspect = await sb.run(['devcontainer', 'inspect', `pks-termsafe-${run}-${suffix}`, '--format', format, ...remote(where)]);
          assert.equal(inspect.code, 0, inspect.stderr);
          assertTerminalSafe(inspect, `inspect ${suffix} --format ${format} on ${where}`);
          if (format === 'json') assert.equal((JSON.parse(inspect.stdout) as { labels: Record<string, string> }).labels['x.evil-key\x1b[2J'], 'value\x9d0;TITLE\x9c');
          else assert.match(inspect.stdout, /x\.evil-key\\x1b\[2J=value\\x9d0;TITLE\\x9c/);
        }
      }

      // A message naming the container quotes its project name on one line.
      const stop = await sb.run(['devcontainer', 'stop', `pks-termsafe-${run}-a`, ...remote(where)]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stderr, /is already stopped/);
      assertTerminalSafe(stop, `stop on ${where}`);

      // A prefix of both: the ambiguity error lists the candidates.
      const ambiguous = await sb.run(['devcontainer', 'stop', `evil-${run}`, ...remote(where)]);
      assert.equal(ambiguous.code, 2, ambiguous.stderr);
      assert.match(ambiguous.stderr, new RegExp(`pks-termsafe-${run}-a`));
      assertTerminalSafe(ambiguous, `ambiguous lookup on ${where}`);
      const verbose = await sb.run(['devcontainer', 'stop', `evil-${run}`, '--verbose', '--log-format', 'json', ...remote(where)]);
      assertErrorCode(verbose, 'E_AMBIGUOUS_CONTAINER', 2);
      assertTerminalSafe(verbose, `ambiguous lookup, JSON lines on ${where}`);
      for (const line of verbose.stderr.trim().split('\n')) JSON.parse(line);

      // What the user typed is quoted back escaped too.
      const missing = await sb.run(['devcontainer', 'inspect', `nothing-${run}\x1b]0;T\x07`, ...remote(where)]);
      assert.equal(missing.code, 1, missing.stderr);
      assert.match(missing.stderr, /No dev container matches/);
      assertTerminalSafe(missing, `failed lookup on ${where}`);
    });
  }

  it('list --all-remotes prints both engines\' hostile containers escaped', async () => {
    const both = await fixture.sandbox.run(['devcontainer', 'list', '--all', '--all-remotes']);
    assert.equal(both.code, 0, both.stderr);
    assertTerminalSafe(both, 'list --all-remotes');
    assert.equal(both.stdout.split('\n').filter((line) => line.includes(`evil-${run}`)).length, 4);
  });
});

describe('terminal safety: logs stay the container\'s own bytes', () => {
  it('logs passes escape sequences through untouched, as docker logs does', async () => {
    const printed = '\x1b[31mred\x1b[0m \x1b]0;title\x07 \u009b\n';
    const engine = fixture.engine('local');
    const name = `pks-termsafe-${run}-logs`;
    const answer = await engine.request(
      {
        method: 'POST',
        path: '/containers/create',
        query: { name },
        body: { Image: fixture.env.images.busybox, Cmd: ['sh', '-c', 'printf "%s" "$1"', 'x', printed], Labels: { 'pks.managed': 'true', 'pks.project.name': `logs-${run}` } },
      },
      z.looseObject({ Id: z.string() }),
    );
    created.push({ where: 'local', id: answer.Id });
    await engine.requestEmpty({ method: 'POST', path: `/containers/${answer.Id}/start` });
    await engine.requestEmpty({ method: 'POST', path: `/containers/${answer.Id}/wait` });
    const logs = await fixture.sandbox.run(['devcontainer', 'logs', name]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, printed);
  });
});

const FAILING_DOCKERFILE = `FROM pks-test/busybox:latest\nRUN printf '\\033[31mred-${run}\\033[0m \\033]0;OWNED\\007 \\033[2J\\n'; exit 3\n`;

describe('terminal safety: a failing build\'s colour codes', () => {

  it('without a terminal, with NO_COLOR=1 and with --log-format json, no escape byte reaches stderr', { timeout: 240_000 }, async () => {
    const p = await fixture.project('local', {
      '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
      '.devcontainer/Dockerfile': FAILING_DOCKERFILE,
    });
    const base = ['devcontainer', 'spawn', p.dir, '--no-launch', '--verbose'];
    const plain = await fixture.sandbox.run(base, { timeoutMs: 180_000 });
    const noColor = await fixture.sandbox.run(base, { env: { NO_COLOR: '1' }, timeoutMs: 180_000 });
    for (const [what, result] of [['no terminal', plain], ['NO_COLOR=1', noColor]] as const) {
      assert.equal(result.code, 1, result.stderr);
      // The classic builder's words, or BuildKit's.
      assert.match(result.stderr, /(returned a non-zero code|exit code): 3/);
      assert.match(result.stderr, new RegExp(`red-${run}`), `${what}: the build output is shown`);
      assert.doesNotMatch(result.stderr, /\\x1b\[31m/, `${what}: colour codes are dropped, not shown as text`);
      assertTerminalSafe(result, `failing build, ${what}`);
    }

    const json = await fixture.sandbox.run([...base, '--log-format', 'json', '--format', 'json'], { timeoutMs: 180_000 });
    assert.equal(json.code, 1, json.stderr);
    assertTerminalSafe(json, 'failing build, --log-format json');
    const records = json.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const outputs = records.filter((r) => r.type === 'build-output').map((r) => String(r.line));
    assert.ok(outputs.some((line) => line.includes(`red-${run}`)), `the build output is in the JSON lines:\n${json.stderr}`);
    for (const record of records) assert.doesNotMatch(JSON.stringify(Object.values(record)).replace(/\\u001b/g, '\x1b'), SGR, 'no colour codes inside JSON lines');
  });
});

describe('terminal safety: a failing lifecycle hook', () => {
  it('its output and its failure message reach stderr without raw controls, in text and in JSON lines', { timeout: 240_000 }, async () => {
    const p = await fixture.project('local', {
      '.devcontainer/devcontainer.json': JSON.stringify({
        image: 'pks-test/busybox:latest',
        postCreateCommand: `printf '\\033[32mhook-green-${run}\\033[0m \\033]0;OWNED\\007 \\033[2J\\n'; exit 4`,
      }),
    });
    const base = ['devcontainer', 'spawn', p.dir, '--no-launch', '--verbose'];
    const text = await fixture.sandbox.run(base, { timeoutMs: 180_000 });
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stderr, /postCreateCommand failed with exit code 4/);
    assert.match(text.stderr, new RegExp(`hook-green-${run}`));
    assertTerminalSafe(text, 'failing hook');
    const json = await fixture.sandbox.run([...base, '--log-format', 'json'], { timeoutMs: 180_000 });
    assert.equal(json.code, 1, json.stderr);
    assertTerminalSafe(json, 'failing hook, --log-format json');
    const lines = json.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(lines.some((r) => r.type === 'hook-output' && String(r.text).includes(`hook-green-${run}`)), json.stderr);
    for (const record of lines) assert.doesNotMatch(JSON.stringify(Object.values(record)).replace(/\\u001b/g, '\x1b'), SGR, 'no colour codes inside JSON lines');
  });
});

describe('terminal safety: on a real terminal', () => {
  const title = `${'\x1b'}]0;OWNED`;
  const pksCommand = (args: string[]): string => [process.execPath, pksBin, ...args].map(shellQuote).join(' ');
  const terminal = (script: string, env: NodeJS.ProcessEnv = {}): Terminal =>
    inTerminal(script, { env: { ...fixture.sandbox.env, TERM: 'xterm', ...env }, cwd: repoRoot, timeoutMs: 180_000 });

  it('the picker for an ambiguous name shows the hostile candidates escaped', async () => {
    const term = terminal(pksCommand(['devcontainer', 'inspect', `evil-${run}`, '--format', 'json']));
    await waitFor(async () => term.output().includes('Number:'), 20_000);
    term.write('1\r');
    assert.equal(await term.exited, 0, term.output());
    const out = term.output();
    assert.match(out, /1\) evil-[0-9a-f]+\\x1b\]0;OWNED\\x07\\x1b\[2J\\x9b31mC1/);
    for (const raw of [title, '\x1b[2J', '\x9b', '\u202e', '\x1bP']) assert.ok(!out.includes(raw), `no raw ${JSON.stringify(raw)} on the terminal:\n${JSON.stringify(out)}`);
  });

  it('a failing build keeps its colour on a terminal, loses it with NO_COLOR, and never sets the title', { timeout: 240_000 }, async () => {
    const p = await fixture.project('local', {
      '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
      '.devcontainer/Dockerfile': FAILING_DOCKERFILE,
    });
    // --verbose: a BuildKit build relays its log (the steps' output) only then; the classic builder always.
    const spawnLine = pksCommand(['devcontainer', 'spawn', p.dir, '--no-launch', '--verbose']);
    const coloured = terminal(spawnLine);
    assert.equal(await coloured.exited, 1, coloured.output());
    assert.ok(coloured.output().includes(`${'\x1b'}[31mred-${run}${'\x1b'}[0m`), `the build's colour reaches a terminal:\n${JSON.stringify(coloured.output())}`);
    const plain = terminal(spawnLine, { NO_COLOR: '1' });
    assert.equal(await plain.exited, 1, plain.output());
    assert.match(plain.output(), new RegExp(`red-${run}`));
    assert.doesNotMatch(plain.output(), SGR, 'NO_COLOR: no colour codes');
    for (const out of [coloured.output(), plain.output()]) {
      assert.ok(!out.includes(title) && !out.includes('\x1b[2J'), `no title or clear-screen sequence:\n${JSON.stringify(out)}`);
      assert.ok(out.includes('\\x1b]0;OWNED\\x07'), 'shown escaped instead');
    }
  });
});
