// withoutUndefined: the one way src/ builds an object whose optional keys must
// be absent rather than present and undefined. The scan below keeps the
// older `...(x === undefined ? {} : { x })` spreads from coming back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as TS from 'typescript';
import { withoutUndefined } from '../../src/common/defined.js';
import { parseSource, sourceFiles, ts, walk, type SourceFile } from '../helpers/source-scan.js';

describe('withoutUndefined', () => {
  it('drops the keys whose value is undefined and keeps every other value, in order', () => {
    const out = withoutUndefined({ a: 1, b: undefined, c: null, d: '', e: 0, f: false, g: undefined as string | undefined, h: [undefined] });
    assert.deepEqual(out, { a: 1, c: null, d: '', e: 0, f: false, h: [undefined] });
    assert.deepEqual(Object.keys(out), ['a', 'c', 'd', 'e', 'f', 'h']);
    assert.equal('b' in out, false);
    assert.equal('g' in out, false);
  });

  it('returns a new object, leaves its argument alone and does not descend into values', () => {
    const nested = { inner: undefined };
    const input = { keep: nested, drop: undefined };
    const out = withoutUndefined(input);
    assert.notEqual(out, input);
    assert.deepEqual(input, { keep: nested, drop: undefined });
    assert.equal(out.keep, nested);
    assert.equal('inner' in out.keep, true);
  });

  it('types a key that may be undefined as optional, so exact optional property types accept the result', () => {
    const user: string | undefined = process.env['PKS_DEFINED_TEST_NEVER_SET'];
    const typed: { host: string; user?: string } = withoutUndefined({ host: 'h', user });
    assert.deepEqual(typed, { host: 'h' });
  });
});

function isEmptyObject(node: TS.Expression): boolean {
  while (ts.isParenthesizedExpression(node)) node = node.expression;
  return ts.isObjectLiteralExpression(node) && node.properties.length === 0;
}

/** `...(cond ? {} : { … })`: a conditional spread whose first branch is an empty object. */
function conditionalSpreadsIn(file: SourceFile): string[] {
  const found: string[] = [];
  walk(file.ast, (node) => {
    if (!ts.isSpreadAssignment(node)) return;
    let expression = node.expression;
    while (ts.isParenthesizedExpression(expression)) expression = expression.expression;
    if (!ts.isConditionalExpression(expression) || !isEmptyObject(expression.whenTrue)) return;
    const line = file.ast.getLineAndCharacterOfPosition(node.getStart(file.ast)).line + 1;
    found.push(`${file.path}:${line}: ${node.getText(file.ast).replace(/\s+/g, ' ').slice(0, 120)}`);
  });
  return found;
}

describe('optional keys in src/', () => {
  it('are written directly or through withoutUndefined, never as `...(x === undefined ? {} : { x })`', async () => {
    const files = await sourceFiles();
    assert.ok(files.length > 50, 'the scan sees the source files');
    assert.deepEqual(files.flatMap(conditionalSpreadsIn), []);
  });

  it('the scan finds the spread however it is parenthesised or laid out, and nothing else', () => {
    const code = [
      'const a = { ...(x === undefined ? {} : { x }) };',
      'const b = { ...((y ?? []).length === 0 ? {} : { y }) };',
      'const c = {',
      '  ...(z === undefined',
      '    ? ({})',
      '    : { z }),',
      '};',
      'const d = { ...withoutUndefined({ x }) };',
      'const e = { ...(flag ? { on: true } : {}) };',
      'const f = [...(list === undefined ? [] : list)];',
      'const g = { ...(x === undefined ? { fallback: 1 } : { x }) };',
    ].join('\n');
    const lines = conditionalSpreadsIn(parseSource('src/core/example.ts', code)).map((hit) => Number(hit.split(':')[1]));
    assert.deepEqual(lines, [1, 2, 4]);
  });
});
