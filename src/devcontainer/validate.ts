// Schema validation of parsed JSONC documents, with errors and warnings that
// point at the file, line and column of the property concerned.

import type { z } from 'zod';
import { OperationError } from '../common/errors.js';
import { excerptAt, locateJsonPath, type SourcePosition } from './jsonc.js';

export interface ConfigWarning {
  code: string;
  message: string;
  file: string;
  line?: number | undefined;
  column?: number | undefined;
  /** Dotted path of the property concerned, e.g. `build.args`. */
  property?: string;
}

export interface SourceDocument {
  /** How the file is named in messages. */
  displayPath: string;
  text: string;
}

/** `mounts[1].type`, `build.args.FOO`: how a user would name the property. */
export function formatPropertyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  return issue.message.replace(/^Invalid input: /, '');
}

function where(doc: SourceDocument, path: readonly PropertyKey[]): { prefix: string; position: SourcePosition | undefined } {
  const jsonPath = path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number');
  const position = locateJsonPath(doc.text, jsonPath);
  return { prefix: position === undefined ? doc.displayPath : `${doc.displayPath}:${position.line}:${position.column}`, position };
}

/**
 * Validates `value` against `schema`; every problem is listed in one
 * E_CONFIG_INVALID error (fixing them one run at a time is tedious).
 */
export function validateDocument<S extends z.ZodType>(schema: S, value: unknown, doc: SourceDocument, what: string): z.infer<S> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OperationError('E_CONFIG_INVALID', `${doc.displayPath}: ${what} must be a JSON object.`, {
      hint: 'The file should start with { and end with }.',
    });
  }
  const result = schema.safeParse(value);
  if (result.success) return inInputOrder(value as Record<string, unknown>, result.data);
  const lines: string[] = [];
  for (const issue of result.error.issues.slice(0, 20)) {
    const { prefix, position } = where(doc, issue.path);
    lines.push(`${prefix}: "${formatPropertyPath(issue.path)}": ${issueMessage(issue)}`);
    if (position !== undefined) lines.push(...excerptAt(doc.text, position).map((l) => `    ${l}`));
  }
  const count = result.error.issues.length;
  throw new OperationError(
    'E_CONFIG_INVALID',
    `${doc.displayPath} is not a valid ${what} (${count} problem${count === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    { hint: 'Fix the properties named above; see https://containers.dev/implementors/json_reference/ for their types.' },
  );
}

/** Warnings for keys of checked objects that the schema does not know. */
export function unknownPropertyWarnings(
  value: unknown,
  checked: ReadonlyArray<{ path: readonly string[]; keys: readonly string[] }>,
  doc: SourceDocument,
  advice: (property: string) => string | undefined = () => undefined,
): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  for (const { path, keys } of checked) {
    let node: unknown = value;
    for (const part of path) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
    if (typeof node !== 'object' || node === null || Array.isArray(node)) continue;
    const known = new Set(keys);
    for (const key of Object.keys(node)) {
      if (known.has(key)) continue;
      const propertyPath = [...path, key];
      const property = formatPropertyPath(propertyPath);
      const position = locateJsonPath(doc.text, propertyPath);
      const extra = advice(property) ?? didYouMean(key, keys);
      warnings.push({
        code: 'W_UNKNOWN_PROPERTY',
        message: `unknown property "${property}" is ignored${extra === undefined ? '' : ` (${extra})`}`,
        file: doc.displayPath,
        property,
        line: position?.line,
        column: position?.column,
      });
    }
  }
  return warnings;
}

/** `file:line:col: message`, the form editors and terminals make clickable. */
export function formatWarning(warning: ConfigWarning): string {
  const location = warning.line === undefined ? warning.file : `${warning.file}:${warning.line}:${warning.column ?? 1}`;
  return `${location}: ${warning.message}`;
}

/** The known key closest to a typo (at most two edits away), as a hint. */
function didYouMean(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === undefined ? undefined : `did you mean "${best}"?`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The validated object with its keys in the order the user wrote them (the schema reorders them). */
function inInputOrder<T>(input: Record<string, unknown>, output: T): T {
  if (typeof output !== 'object' || output === null || Array.isArray(output)) return output;
  const source = output as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of Object.keys(input)) if (key in source) ordered[key] = source[key];
  for (const key of Object.keys(source)) if (!(key in ordered)) ordered[key] = source[key];
  return ordered as T;
}
