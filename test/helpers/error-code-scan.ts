// Finds the error codes the source names: every string literal that is a whole
// `E_…` code. A literal passed to `.startsWith()` names a family of codes (a
// prefix), and a template that starts with `E_` builds a code no scan can
// check.

import type * as TS from 'typescript';
import { ts, walk, type SourceFile } from './source-scan.js';

const CODE = /^E_[A-Z0-9_]+$/;

export interface ErrorCodeLiteral {
  file: string;
  line: number;
  code: string;
  kind: 'code' | 'prefix' | 'built';
}

function isStartsWithArgument(node: TS.Node): boolean {
  const call = node.parent;
  return ts.isCallExpression(call) && call.arguments[0] === node && ts.isPropertyAccessExpression(call.expression) && call.expression.name.text === 'startsWith';
}

export function errorCodeLiteralsIn(file: SourceFile): ErrorCodeLiteral[] {
  const found: ErrorCodeLiteral[] = [];
  walk(file.ast, (node) => {
    const line = (): number => file.ast.getLineAndCharacterOfPosition(node.getStart(file.ast)).line + 1;
    if (ts.isTemplateHead(node) && node.text.startsWith('E_')) found.push({ file: file.path, line: line(), code: node.text, kind: 'built' });
    if (!ts.isStringLiteralLike(node) || !CODE.test(node.text)) return;
    found.push({ file: file.path, line: line(), code: node.text, kind: isStartsWithArgument(node) ? 'prefix' : 'code' });
  });
  return found;
}
