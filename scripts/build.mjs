// Bundles the CLI into dist/ with esbuild. Code splitting keeps modules that
// only some commands need (ssh2, the spawn pipeline, ...) in separate chunks
// that load on demand, so `pks devcontainer list` pays only for what it uses.
//
// The bundle is written to a fresh folder and swapped in with renames, so a
// pks process started during a rebuild never sees a half-written dist/.
import { build } from 'esbuild';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const staging = `dist.build-${process.pid}`;
const retired = `${root}/dist.old-${process.pid}`;
try {
  await build({
    absWorkingDir: root,
    entryPoints: { pks: 'src/cli/main.ts' },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    // Dependencies are bundled too (one file read instead of hundreds of module
    // resolutions at start-up), except ssh2, which loads optional native
    // bindings that a bundler cannot inline and is only needed for remotes.
    external: ['ssh2', 'cpu-features'],
    // Prefer ES module builds (jsonc-parser's UMD build cannot be bundled).
    mainFields: ['module', 'main'],
    logLevel: 'warning',
  });
  if (existsSync(`${root}/dist`)) renameSync(`${root}/dist`, retired);
  renameSync(`${root}/${staging}`, `${root}/dist`);
} finally {
  rmSync(`${root}/${staging}`, { recursive: true, force: true });
  rmSync(retired, { recursive: true, force: true });
}
