import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { escapeControls, escapeControlsKeepingLayout, jsonForTerminal, programOutputForTerminal } from '../../src/common/terminal-text.js';
import { TerminalPrompter } from '../../src/cli/prompter.js';
import { reportError } from '../../src/cli/render-error.js';
import { colourWanted } from '../../src/cli/reporter.js';
import { renderTable } from '../../src/cli/table.js';
import { MemoryWritable, memoryReporter } from '../helpers/memory-io.js';

const ESC = '\x1b';
// A window title, a screen clear, a C1 CSI, a clipboard write (OSC 52) and a bidi override.
const HOSTILE = `evil${ESC}]0;OWNED\x07${ESC}[2J\x9b31m${ESC}]52;c;aGk=\x07\u202eend`;
const HOSTILE_SHOWN = 'evil\\x1b]0;OWNED\\x07\\x1b[2J\\x9b31m\\x1b]52;c;aGk=\\x07\\u202eend';
/** Controls a terminal acts on; \t and \n are layout. */
const RAW_CONTROL = /(?![\t\n])[\p{Cc}\p{Bidi_Control}]/u;

const reporter = memoryReporter;

describe('terminal text', () => {
  it('shows every control character of a value as visible text, on one line', () => {
    assert.equal(escapeControls(HOSTILE), HOSTILE_SHOWN);
    assert.equal(escapeControls('a\nb\tc\rd\x00\x7f\u2028'), 'a\\nb\\tc\\rd\\x00\\x7f\\u2028');
    assert.equal(escapeControls('plain ünïcødé 項目 ✓ 🚀'), 'plain ünïcødé 項目 ✓ 🚀');
  });

  it('keeps newlines and tabs as layout in composed text, and drops a CR before a newline', () => {
    assert.equal(escapeControlsKeepingLayout(`one\r\ntwo\tthree\rfour${ESC}[2J\n`), 'one\ntwo\tthree\\rfour\\x1b[2J\n');
  });

  it('relays colour codes only when colour is on; any other sequence is escaped either way', () => {
    const line = `${ESC}[1;31mred${ESC}[0m ${ESC}]0;OWNED\x07`;
    assert.equal(programOutputForTerminal(line, true), `${ESC}[1;31mred${ESC}[0m \\x1b]0;OWNED\\x07`);
    assert.equal(programOutputForTerminal(line, false), 'red \\x1b]0;OWNED\\x07');
  });

  it('JSON for a terminal escapes the C1 and bidi characters JSON.stringify leaves raw, and parses back to the same value', () => {
    assert.match(JSON.stringify(HOSTILE), /\x9b/, 'JSON.stringify alone leaves C1 raw');
    const text = jsonForTerminal({ project: HOSTILE, n: [1, 'x\u2029'] }, 2);
    assert.doesNotMatch(text, RAW_CONTROL);
    assert.deepEqual(JSON.parse(text), { project: HOSTILE, n: [1, 'x\u2029'] });
  });
});

describe('reporter: text that came from elsewhere', () => {
  it('escapes messages, hints and details, and drops colour codes from them', () => {
    const { stderr, reporter: r } = reporter({ verbose: true });
    r.log({ level: 'error', message: `container ${HOSTILE}`, hint: `try ${HOSTILE}\n  or this`, details: [`${ESC}[31mstep failed${ESC}[0m`] });
    assert.equal(stderr.text, `error: container ${HOSTILE_SHOWN}\n  hint: try ${HOSTILE_SHOWN}\n  or this\n  step failed\n`);
  });

  it('prints relayed output coloured on a colour terminal, without colour otherwise', () => {
    const coloured = reporter({ colour: true });
    coloured.reporter.progress(`${ESC}[32mok${ESC}[0m${ESC}[2J\n`);
    assert.equal(coloured.stderr.text, `${ESC}[32mok${ESC}[0m\\x1b[2J\n`);
    const plain = reporter({ colour: false });
    plain.reporter.progress(`${ESC}[32mok${ESC}[0m${ESC}[2J\n`);
    assert.equal(plain.stderr.text, 'ok\\x1b[2J\n');
    // JSON lines never carry colour, whatever was asked.
    assert.equal(reporter({ colour: true, logFormat: 'json' }).reporter.colour, false);
  });

  it('writes data with its control characters escaped, and JSON data exact but terminal-safe', () => {
    const { stdout, reporter: r } = reporter();
    r.data(`Project:  ${HOSTILE}`);
    r.json({ project: HOSTILE });
    const [line, ...json] = stdout.text.split('\n');
    assert.equal(line, `Project:  ${HOSTILE_SHOWN}`);
    assert.doesNotMatch(stdout.text, RAW_CONTROL);
    assert.deepEqual(JSON.parse(json.join('\n')), { project: HOSTILE });
  });

  it('JSON lines on stderr carry no colour codes and no raw control', () => {
    const { stderr, reporter: r } = reporter({ logFormat: 'json' });
    r.warn(`${ESC}[33mcareful${ESC}[0m ${HOSTILE}`);
    r.event({ type: 'build-output', line: `${ESC}[31mred${ESC}[0m` });
    assert.doesNotMatch(stderr.text, RAW_CONTROL);
    const [warning, event] = stderr.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(warning?.message, `careful ${HOSTILE}`);
    assert.equal(event?.line, 'red');
  });

  it('an ambiguity error lists hostile candidates escaped', () => {
    const { stderr, reporter: r } = reporter();
    reportError(r, new UsageError('2 dev containers match.', { code: 'E_AMBIGUOUS_CONTAINER', hint: `Name one:\n    ${HOSTILE}  pks-a\n    ${HOSTILE}  pks-b` }));
    assert.doesNotMatch(stderr.text, RAW_CONTROL);
    assert.equal(stderr.text.split('\n').length, 5);
  });
});

describe('table cells', () => {
  it('keep a row on one line and aligned whatever a value holds', () => {
    const table = renderTable([{ header: 'PROJECT', value: (row: string) => row }, { header: 'N', value: () => '1' }], [`a\nSPOOF ${HOSTILE}`, 'b']);
    const lines = table.split('\n');
    assert.equal(lines.length, 3);
    assert.doesNotMatch(table, RAW_CONTROL);
    assert.equal(lines[1]?.indexOf(' 1'), lines[2]?.indexOf(' 1'), 'columns still line up');
  });
});

describe('prompts', () => {
  it('a picker shows its hostile choices escaped', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = Object.assign(new MemoryWritable(), { isTTY: true });
    const prompter = new TerminalPrompter(input, output);
    const answer = prompter.select(`Which one of ${HOSTILE}?`, [`${HOSTILE} a`, `${HOSTILE} b`], '--x');
    setImmediate(() => input.write('2\n'));
    assert.equal(await answer, 1);
    assert.ok(output.text.includes(`Which one of ${HOSTILE_SHOWN}?`), output.text);
    assert.ok(output.text.includes(`2) ${HOSTILE_SHOWN} b`), output.text);
    assert.ok(!output.text.includes(`${ESC}]0;OWNED`), 'no raw title sequence');
  });
});

describe('colour conventions', () => {
  it('NO_COLOR wins, FORCE_COLOR forces or forbids, else only a terminal that is not dumb', () => {
    assert.equal(colourWanted({}, { isTTY: true }), true);
    assert.equal(colourWanted({}, { isTTY: false }), false);
    assert.equal(colourWanted({}, {}), false);
    assert.equal(colourWanted({ TERM: 'dumb' }, { isTTY: true }), false);
    assert.equal(colourWanted({ NO_COLOR: '1' }, { isTTY: true }), false);
    assert.equal(colourWanted({ NO_COLOR: '1', FORCE_COLOR: '1' }, { isTTY: true }), false);
    assert.equal(colourWanted({ NO_COLOR: '' }, { isTTY: true }), true, 'an empty NO_COLOR is unset (no-color.org)');
    assert.equal(colourWanted({ FORCE_COLOR: '1' }, { isTTY: false }), true);
    assert.equal(colourWanted({ FORCE_COLOR: '0' }, { isTTY: true }), false);
    assert.equal(colourWanted({ FORCE_COLOR: 'false' }, { isTTY: true }), false);
  });
});
