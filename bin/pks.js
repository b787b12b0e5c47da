#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/ by `npm run build` (run by npm's
// prepare step on `npm ci` / `npm install`), which keeps start-up fast.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/pks.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('pks: the CLI is not built yet. Run: npm run build\n');
  process.exit(1);
}
await import(entry.href);
