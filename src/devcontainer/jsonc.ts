// JSON with comments and trailing commas, as devcontainer.json and
// devcontainer-feature.json are written. A syntax error names the file, the
// line and column and shows the offending line with a caret, because "invalid
// JSON" alone sends people hunting through a long file.

import { parse, parseTree, findNodeAtLocation, printParseErrorCode, type ParseError, type JSONPath } from 'jsonc-parser';
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

/** The source line at `position` and a caret under its column, for error output. */
export function excerptAt(text: string, position: SourcePosition): string[] {
  const lineText = (text.split('\n')[position.line - 1] ?? '').replace(/\r$/, '').replace(/\t/g, ' ');
  const gutter = `${position.line} | `;
  return [`${gutter}${lineText}`, `${' '.repeat(gutter.length + position.column - 1)}^`];
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
