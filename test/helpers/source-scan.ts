// Reads src/ with the TypeScript parser (not regexes over text) to answer
// questions about the code itself: who imports child_process, and which
// commands the process-starting calls name.

import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TS from 'typescript';
import { repoRoot } from './test-env.js';

// Loaded with require: an ES import of this one 9 MB CommonJS file has Node
// scan all of it for its exports first, half a second of CPU.
export const ts = createRequire(import.meta.url)('typescript') as typeof TS;

const CHILD_PROCESS = new Set(['child_process', 'node:child_process']);
const STARTERS = new Set(['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']);

export interface SourceFile {
  /** Relative to the repository root, with forward slashes. */
  path: string;
  ast: TS.SourceFile;
  importsChildProcess: boolean;
  stringLiterals: string[];
}

export interface ProcessSpawn {
  file: string;
  /** The source text of the first argument: the command. */
  command: string;
  text: string;
}

const parsed = new Map<string, Promise<SourceFile>>();

/**
 * Every .ts file under src/, or only under the given folders (relative to the
 * repository root), parsed; each file once per process, however many scans ask.
 */
export async function sourceFiles(folders: string[] = ['src']): Promise<SourceFile[]> {
  const names = await Promise.all(
    folders.map(async (folder) => (await readdir(path.join(repoRoot, folder), { recursive: true })).filter((name) => name.endsWith('.ts')).map((name) => path.join(folder, name))),
  );
  return Promise.all(
    names.flat().sort().map((name) => {
      let file = parsed.get(name);
      if (file === undefined) {
        file = readFile(path.join(repoRoot, name), 'utf8').then((text) => parseSource(name.split(path.sep).join('/'), text));
        parsed.set(name, file);
      }
      return file;
    }),
  );
}

export function walk(node: TS.Node, visit: (node: TS.Node) => void): void {
  visit(node);
  node.forEachChild((child) => walk(child, visit));
}

function isChildProcessSpecifier(node: TS.Node | undefined): boolean {
  return node !== undefined && ts.isStringLiteralLike(node) && CHILD_PROCESS.has(node.text);
}

function importsChildProcess(ast: TS.SourceFile): boolean {
  let found = false;
  walk(ast, (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && isChildProcessSpecifier(node.moduleSpecifier)) found = true;
    // import('child_process') and require('child_process')
    if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require')) && isChildProcessSpecifier(node.arguments[0])) found = true;
  });
  return found;
}

function stringLiterals(ast: TS.SourceFile): string[] {
  const out: string[] = [];
  walk(ast, (node) => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node)) out.push(node.text);
  });
  return out;
}

/** Calls that start a process: child_process functions, under their local names or promisified. */
export function processSpawnsIn(file: SourceFile): ProcessSpawn[] {
  const functions = new Set<string>();
  const namespaces = new Set<string>();
  walk(file.ast, (node) => {
    if (!ts.isImportDeclaration(node) || !isChildProcessSpecifier(node.moduleSpecifier)) return;
    const bindings = node.importClause?.namedBindings;
    if (bindings !== undefined && ts.isNamespaceImport(bindings)) namespaces.add(bindings.name.text);
    if (bindings !== undefined && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) {
        if (STARTERS.has((element.propertyName ?? element.name).text)) functions.add(element.name.text);
      }
    }
    if (node.importClause?.name !== undefined) namespaces.add(node.importClause.name.text);
  });
  // const run = promisify(execFile)
  walk(file.ast, (node) => {
    if (!ts.isVariableDeclaration(node) || !ts.isIdentifier(node.name) || node.initializer === undefined) return;
    const init = node.initializer;
    if (ts.isCallExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === 'promisify') {
      const [arg] = init.arguments;
      if (arg !== undefined && ts.isIdentifier(arg) && functions.has(arg.text)) functions.add(node.name.text);
    }
  });
  const spawns: ProcessSpawn[] = [];
  walk(file.ast, (node) => {
    if (!ts.isCallExpression(node)) return;
    const callee = node.expression;
    const starts =
      (ts.isIdentifier(callee) && functions.has(callee.text)) ||
      (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && namespaces.has(callee.expression.text) && STARTERS.has(callee.name.text));
    if (!starts) return;
    spawns.push({ file: file.path, command: node.arguments[0]?.getText(file.ast) ?? '', text: node.getText(file.ast).slice(0, 120) });
  });
  return spawns;
}

export interface EnginePathLiteral {
  file: string;
  line: number;
  text: string;
}

/** Parses one source text (a file of src/, or one for checking the scans themselves). */
export function parseSource(filePath: string, code: string): SourceFile {
  const ast = ts.createSourceFile(filePath, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  // Walked for only when a scan asks: most scans need neither.
  let imports: boolean | undefined;
  let literals: string[] | undefined;
  return {
    path: filePath,
    ast,
    get importsChildProcess() {
      return (imports ??= importsChildProcess(ast));
    },
    get stringLiterals() {
      return (literals ??= stringLiterals(ast));
    },
  };
}

/** `path: '/…'` and `path: \`/…\`` properties: an engine URL path written by hand. */
export function enginePathLiteralsIn(file: SourceFile): EnginePathLiteral[] {
  const found: EnginePathLiteral[] = [];
  walk(file.ast, (node) => {
    if (!ts.isPropertyAssignment(node) || node.name.getText(file.ast) !== 'path') return;
    const value = node.initializer;
    const text = ts.isStringLiteralLike(value) ? value.text : ts.isTemplateExpression(value) ? value.head.text : undefined;
    if (text === undefined || !text.startsWith('/')) return;
    found.push({ file: file.path, line: file.ast.getLineAndCharacterOfPosition(node.getStart(file.ast)).line + 1, text: node.getText(file.ast) });
  });
  return found;
}

const RAW_ENGINE_CALLS = new Set(['request', 'requestEmpty', 'stream', 'hijack']);

/** `engine.request(…)` and the other raw versioned calls, on a receiver named like an engine. */
export function rawEngineCallsIn(file: SourceFile): EnginePathLiteral[] {
  const found: EnginePathLiteral[] = [];
  walk(file.ast, (node) => {
    if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return;
    const { expression: receiver, name } = node.expression;
    if (!RAW_ENGINE_CALLS.has(name.text) || !/engine$/i.test(receiver.getText(file.ast))) return;
    found.push({ file: file.path, line: file.ast.getLineAndCharacterOfPosition(node.getStart(file.ast)).line + 1, text: node.getText(file.ast).slice(0, 120) });
  });
  return found;
}
