#!/usr/bin/env node
// Launcher: runs the CLI bundle dist/pks.cjs (built by `npm run build`, which
// npm's prepare step runs on `npm ci` / `npm install`) with the V8 code cache
// the build recorded next to it, so the bundle is not compiled again at every
// start. A cache that does not fit this Node.js (another version, other V8
// flags) is ignored by V8, and the bundle is compiled as usual.
'use strict';

const { readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const path = require('node:path');
const { Script } = require('node:vm');

const bundle = path.join(__dirname, '..', 'dist', 'pks.cjs');

let source;
try {
  source = readFileSync(bundle, 'utf8');
} catch {
  process.stderr.write('pks: the CLI is not built yet. Run: npm run build\n');
  process.exit(1);
}
// V8 checks little more than the source's length before it trusts a cache, so
// the cache is named after the build id in the bundle's first line: a cache
// recorded for another build is never even read.
const build = /^\/\/ pks build ([0-9a-f]+)\n/.exec(source)?.[1] ?? 'unknown';
const cacheFile = path.join(path.dirname(bundle), `pks.${build}.cache`);
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // No cache: compile as usual.
}

// The same wrapper Node puts around a CommonJS module.
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  ...(cachedData === undefined ? {} : { cachedData }),
});

// The build sets this once, to record the cache after a representative run.
if (process.env.PKS_WRITE_CODE_CACHE === '1') {
  process.once('exit', () => {
    const temporary = `${cacheFile}.${process.pid}`;
    try {
      writeFileSync(temporary, script.createCachedData());
      renameSync(temporary, cacheFile);
    } catch {
      rmSync(temporary, { force: true });
    }
  });
}

const bundleModule = { exports: {} };
script.runInThisContext()(bundleModule.exports, createRequire(bundle), bundleModule, bundle, path.dirname(bundle));
