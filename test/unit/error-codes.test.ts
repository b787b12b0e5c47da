// The registry of error codes (src/common/error-codes.ts) is the one list of
// the stable codes: every code the source uses is in it, every code in it is
// used, and the README's table is generated from it. After adding a code,
// refresh the table with PKS_UPDATE_GOLDEN=1 and review the diff.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCodes, type ErrorCode } from '../../src/common/error-codes.js';
import { OperationError, PksError, UsageError } from '../../src/common/errors.js';
import { errorCodeLiteralsIn } from '../helpers/error-code-scan.js';
import { parseSource, sourceFiles } from '../helpers/source-scan.js';
import { repoRoot } from '../helpers/test-env.js';

const README = path.join(repoRoot, 'README.md');
const START = '<!-- error codes: generated from src/common/error-codes.ts by test/unit/error-codes.test.ts -->';
const END = '<!-- end of error codes -->';

const registered = new Set<string>(Object.keys(ErrorCodes));

let scanned: Promise<ReturnType<typeof errorCodeLiteralsIn>> | undefined;

/** The codes the source names, scanned once for all the tests below. */
function literals(): Promise<ReturnType<typeof errorCodeLiteralsIn>> {
  scanned ??= (async () => {
    const files = await sourceFiles();
    assert.ok(files.length > 50, 'the scan sees the source files');
    return files.flatMap(errorCodeLiteralsIn);
  })();
  return scanned;
}

function errorCodesTable(): string {
  const rows = Object.entries(ErrorCodes).map(([code, meaning]) => `| \`${code}\` | ${meaning.replaceAll('|', '\\|')} |`);
  return ['| Code | Meaning |', '| --- | --- |', ...rows].join('\n');
}

describe('error codes', () => {
  it('every code the source uses is registered', async () => {
    const unregistered = (await literals()).filter((hit) => hit.kind === 'code' && !registered.has(hit.code));
    assert.deepEqual(unregistered.map((hit) => `${hit.file}:${hit.line}: ${hit.code}`), [], 'add these to src/common/error-codes.ts');
  });

  it('every registered code is used in the source', async () => {
    const used = new Set((await literals()).filter((hit) => hit.kind === 'code').map((hit) => hit.code));
    assert.deepEqual([...registered].filter((code) => !used.has(code)), [], 'remove these from src/common/error-codes.ts, or use them');
  });

  it('a prefix the source matches codes by names registered codes, and no code is built from parts', async () => {
    const hits = await literals();
    const prefixes = hits.filter((hit) => hit.kind === 'prefix');
    assert.ok(prefixes.length > 0, 'the source matches some codes by prefix');
    assert.deepEqual(prefixes.filter((hit) => ![...registered].some((code) => code.startsWith(hit.code))).map((hit) => `${hit.file}:${hit.line}: ${hit.code}`), []);
    assert.deepEqual(hits.filter((hit) => hit.kind === 'built').map((hit) => `${hit.file}:${hit.line}: ${hit.code}`), []);
  });

  it('the scan tells codes, prefixes and built codes apart', () => {
    const code = [
      "throw new OperationError('E_ONE', 'x');",
      "if (error.code.startsWith('E_TWO')) return;",
      'const built = `E_${name}`;',
      "const other = 'E_lower and more words';",
    ].join('\n');
    assert.deepEqual(
      errorCodeLiteralsIn(parseSource('src/example.ts', code)).map((hit) => [hit.line, hit.kind, hit.code]),
      [
        [1, 'code', 'E_ONE'],
        [2, 'prefix', 'E_TWO'],
        [3, 'built', 'E_'],
      ],
    );
  });

  it('each registered code has a one-line meaning', () => {
    for (const [code, meaning] of Object.entries(ErrorCodes)) {
      assert.match(code, /^E_[A-Z0-9_]+$/);
      assert.match(meaning, /^\S[^\n]*\.$/, `${code}: one line, ending with a full stop`);
    }
  });

  it('the error classes take registered codes only', () => {
    const codes: ErrorCode[] = ['E_USAGE', 'E_ENGINE_UNREACHABLE'];
    // @ts-expect-error a code that is not registered does not typecheck
    const typo = new OperationError('E_ENGINE_UNREACHBLE', 'x');
    assert.equal(typo.code, 'E_ENGINE_UNREACHBLE');
    assert.equal(new UsageError('x').code, codes[0]);
    assert.ok(new PksError(codes[1] ?? 'E_INTERNAL', 'x', 1) instanceof PksError);
  });

  it("the README's table of codes is the registry's", () => {
    const text = readFileSync(README, 'utf8');
    const start = text.indexOf(START);
    const end = text.indexOf(END);
    assert.ok(start >= 0 && end > start, `README.md has the markers ${START} and ${END}`);
    const expected = `${START}\n${errorCodesTable()}\n${END}`;
    let actual = text.slice(start, end + END.length);
    if (process.env.PKS_UPDATE_GOLDEN === '1' && actual !== expected) {
      writeFileSync(README, text.slice(0, start) + expected + text.slice(end + END.length));
      actual = expected;
    }
    assert.deepEqual(actual.split('\n'), expected.split('\n'), 'the table of error codes in README.md differs from src/common/error-codes.ts (PKS_UPDATE_GOLDEN=1 rewrites it)');
  });
});
