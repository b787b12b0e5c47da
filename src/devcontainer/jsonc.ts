// JSON with comments and trailing commas, as devcontainer.json and
// devcontainer-feature.json are written. A syntax error names the file, the
// line and column and shows the offending line with a caret, because "invalid
// JSON" alone sends people hunting through a long file.

import { createScanner, parse, parseTree, findNodeAtLocation, printParseErrorCode, type ParseError, type JSONPath } from 'jsonc-parser';
import { OperationError } from '../common/errors.js';

export interface SourcePosition {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units like editors count. */
  column: number;
}

/** Line and column of a character offset in `text`. */
export function positionAt(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Characters of a long line shown on each side of the column (a minified file is one long line). */
const EXCERPT_CONTEXT = 60;

/** The source line at `position` and a caret under its column, for error output; a long line is cut around the column. */
export function excerptAt(text: string, position: SourcePosition): string[] {
  const lineText = (text.split('\n')[position.line - 1] ?? '').replace(/\r$/, '').replace(/\t/g, ' ');
  const start = Math.max(0, position.column - 1 - EXCERPT_CONTEXT);
  const end = position.column - 1 + EXCERPT_CONTEXT;
  const before = start > 0 ? '…' : '';
  const shown = `${before}${lineText.slice(start, end)}${end < lineText.length ? '…' : ''}`;
  const gutter = `${position.line} | `;
  return [`${gutter}${shown}`, `${' '.repeat(gutter.length + before.length + position.column - 1 - start)}^`];
}

/**
 * How deep objects and arrays may nest. Real configurations stay within a
 * handful of levels; without a limit, a file nested thousands deep would
 * exhaust the stack of the parser and of everything that walks the value.
 */
export const MAX_NESTING = 256;

// jsonc-parser's SyntaxKind values (a const enum its typings do not let us import).
const OPEN_BRACE = 1;
const CLOSE_BRACE = 2;
const OPEN_BRACKET = 3;
const CLOSE_BRACKET = 4;
const EOF = 17;

/** Offset of the bracket that opens level MAX_NESTING + 1, if any (an iterative scan: it cannot overflow). */
function tooDeepAt(source: string): number | undefined {
  const scanner = createScanner(source, false);
  let depth = 0;
  for (let token: number = scanner.scan(); token !== EOF; token = scanner.scan()) {
    if (token === OPEN_BRACE || token === OPEN_BRACKET) {
      depth += 1;
      if (depth > MAX_NESTING) return scanner.getTokenOffset();
    } else if (token === CLOSE_BRACE || token === CLOSE_BRACKET) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

const MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'a property name (in double quotes) was expected',
  ValueExpected: 'a value was expected',
  ColonExpected: 'a colon was expected',
  CommaExpected: 'a comma was expected',
  CloseBraceExpected: 'a closing brace } was expected',
  CloseBracketExpected: 'a closing bracket ] was expected',
  EndOfFileExpected: 'the end of the file was expected (a second top-level value?)',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'a comment is not closed',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'a number is cut off',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in a string',
};

/**
 * Parses JSONC text. `displayPath` is how the file is named in errors (the
 * path the user would open). Throws E_CONFIG_SYNTAX on the first error.
 */
export function parseJsonc(text: string, displayPath: string): unknown {
  const errors: ParseError[] = [];
  // A UTF-8 byte order mark is legal in files written by some editors.
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const deep = tooDeepAt(source);
  if (deep !== undefined) {
    const position = positionAt(source, deep);
    throw new OperationError(
      'E_CONFIG_TOO_DEEP',
      `${displayPath}:${position.line}:${position.column}: nested deeper than ${MAX_NESTING} levels (objects and arrays inside each other)\n${excerptAt(source, position).join('\n')}`,
      { hint: `Flatten the value that starts there: pks reads configurations nested at most ${MAX_NESTING} levels deep.` },
    );
  }
  const value: unknown = parse(source, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  const first = errors[0];
  if (first !== undefined) {
    const position = positionAt(source, first.offset);
    const reason = MESSAGES[printParseErrorCode(first.error)] ?? printParseErrorCode(first.error);
    throw new OperationError(
      'E_CONFIG_SYNTAX',
      `${displayPath}:${position.line}:${position.column}: syntax error: ${reason}\n${excerptAt(source, position).join('\n')}`,
      { hint: 'Fix the JSON at that position (comments and trailing commas are allowed).' },
    );
  }
  return value;
}

/** Position of the value at `path` (e.g. ['build', 'args']), when it exists. */
export function locateJsonPath(text: string, path: JSONPath): SourcePosition | undefined {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const root = parseTree(source, [], { allowTrailingComma: true });
  if (root === undefined) return undefined;
  // Prefer the property name: "unknown property" points at the key.
  let node = findNodeAtLocation(root, path);
  while (node === undefined && path.length > 0) {
    path = path.slice(0, -1);
    node = findNodeAtLocation(root, path);
  }
  if (node === undefined) return undefined;
  const target = node.parent?.type === 'property' && node.parent.children?.[0] !== undefined ? node.parent.children[0] : node;
  return positionAt(source, target.offset);
}
