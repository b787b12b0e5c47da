// ESLint rule: src/ is layered and each layer imports only from the layers
// below it (see ARCHITECTURE.md and README "Architecture"). The order, lowest
// first, is the LAYERS array. A file may import from its own layer and from
// lower ones; anything else is reported. Only the CLI layer and the process
// adapter below it (git, initializeCommand on this machine, the docker CLI
// for BuildKit builds) may start processes: other engine work goes through
// the Engine API.

import path from 'node:path';

export const LAYERS = ['common', 'store', 'ssh', 'engine', 'devcontainer', 'image', 'core', 'process', 'cli'];
/** The layers that may start processes. */
const PROCESS_LAYERS = new Set(['process', 'cli']);
const PROCESS_MODULES = new Set(['child_process', 'node:child_process']);

function layerOf(file, srcRoot) {
  const relative = path.relative(srcRoot, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  const [first] = relative.split(path.sep);
  return LAYERS.includes(first) ? first : '(unlayered)';
}

/** @type {import('eslint').Rule.RuleModule} */
export const layerBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'enforce the downward-only import rule between src/ layers' },
    schema: [],
    messages: {
      upward: "Layer '{{from}}' may not import from layer '{{to}}' ({{specifier}}): layers import only from the ones below them ({{order}}).",
      unlayered: "'{{file}}' is not inside a known layer folder ({{order}}).",
      outside: "'{{specifier}}' leaves src/: source files import only from src/ (and package.json).",
      process: "Layer '{{from}}' may not start processes ('{{specifier}}'): only src/cli and src/process may (the docker CLI only for BuildKit builds, in src/process/docker-cli.ts).",
    },
  },
  create(context) {
    const file = context.filename;
    const srcRoot = path.join(context.cwd, 'src');
    const from = layerOf(file, srcRoot);
    if (from === undefined) return {};
    const order = LAYERS.join(' < ');
    if (from === '(unlayered)') {
      return {
        Program(node) {
          context.report({ node, messageId: 'unlayered', data: { file: path.relative(context.cwd, file), order } });
        },
      };
    }
    function check(node, source) {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const specifier = source.value;
      if (PROCESS_MODULES.has(specifier) && !PROCESS_LAYERS.has(from)) {
        context.report({ node, messageId: 'process', data: { from, specifier } });
        return;
      }
      if (!specifier.startsWith('.')) return;
      const target = path.resolve(path.dirname(file), specifier);
      const to = layerOf(target, srcRoot);
      if (to === undefined) {
        if (path.basename(target) !== 'package.json') context.report({ node, messageId: 'outside', data: { specifier } });
        return;
      }
      if (to === '(unlayered)' || LAYERS.indexOf(to) > LAYERS.indexOf(from)) {
        context.report({ node, messageId: 'upward', data: { from, to, specifier, order } });
      }
    }
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
    };
  },
};
