// Bundles the CLI into one CommonJS file, dist/pks.cjs, with esbuild, then
// records V8's code cache for it (dist/pks.<build id>.cache), which bin/pks.cjs hands
// to V8 so that a start-up does not compile the bundle again.
//
// Why one CommonJS file rather than ES module chunks: Node 20 has no compile
// cache for ES modules, and compiling the code was the largest part of a
// start (a local `pks devcontainer list`: ~96 ms as ES module chunks, ~74 ms
// as this bundle with its code cache). Code that only some commands need
// still runs only when they need it: esbuild turns each `await import()` of
// our own modules into a lazy initialiser.
//
// The bundle is written to a fresh folder and swapped in with renames, so a
// pks process started during a rebuild never sees a half-written dist/.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// commander imports node:child_process when it loads, for a feature pks does
// not use (subcommands that are separate executables); loading that module
// costs ~3 ms of every pks start. commander gets a stand-in that loads the
// real module only if commander ever spawns something.
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-for-commander' } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'lazy-for-commander' }, () => ({
      contents: "export default { spawn: (...args) => require('node:child_process').spawn(...args) };",
      loader: 'js',
    }));
  },
};

/**
 * Runs `pks devcontainer list` once against a stand-in engine (a unix socket
 * answering the two calls list makes, with no containers) and has the
 * launcher write the code cache when it exits: the cache then holds the
 * compiled start-up path, the CLI, the engine client and the list command.
 * Other commands compile what the cache lacks as usual.
 */
async function recordCodeCache() {
  const scratch = mkdtempSync(path.join(tmpdir(), 'pks-build-'));
  const socket = path.join(scratch, 'engine.sock');
  const engine = createServer((req, res) => {
    res.setHeader('Api-Version', '1.41');
    if (req.url === '/_ping') res.end('OK');
    else if (req.url?.includes('/containers/json')) res.setHeader('Content-Type', 'application/json').end('[]');
    else res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"not part of the stand-in engine"}');
  });
  await new Promise((resolve) => engine.listen(socket, resolve));
  try {
    // Asynchronous: this process is the stand-in engine while pks runs.
    const run = await new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(root, 'bin', 'pks.cjs'), 'devcontainer', 'list'], {
        env: { PATH: process.env.PATH ?? '', HOME: scratch, PKS_HOME: path.join(scratch, 'pks'), DOCKER_HOST: `unix://${socket}`, PKS_WRITE_CODE_CACHE: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 30_000,
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (status) => resolve({ status, stderr }));
    });
    if (run.status !== 0 || !existsSync(path.join(root, 'dist', `pks.${buildId}.cache`))) {
      process.stderr.write(`build: no code cache recorded (pks exited with ${run.status}): ${run.stderr}\n`);
    }
  } finally {
    await new Promise((resolve) => engine.close(resolve));
    rmSync(scratch, { recursive: true, force: true });
  }
}

// Pairs the bundle with its code cache (see bin/pks.cjs).
const buildId = randomBytes(8).toString('hex');
const staging = `dist.build-${process.pid}`;
const retired = `${root}/dist.old-${process.pid}`;
try {
  await build({
    absWorkingDir: root,
    entryPoints: ['src/cli/main.ts'],
    outfile: `${staging}/pks.cjs`,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // `await import('ssh2')` becomes a require: the launcher runs the bundle
    // as a plain script, without an ES module loader behind it.
    supported: { 'dynamic-import': false },
    sourcemap: 'linked',
    // Dependencies are bundled too (one file read instead of hundreds of module
    // resolutions at start-up), except ssh2, which loads optional native
    // bindings that a bundler cannot inline and is only needed for remotes.
    external: ['ssh2', 'cpu-features'],
    // Prefer ES module builds (jsonc-parser's UMD build cannot be bundled).
    mainFields: ['module', 'main'],
    // Less to read and hash at every start; names are kept, so stack traces
    // stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    banner: { js: `// pks build ${buildId}` },
    // A warm-connection holder of another build is never used (src/engine/warm-protocol.ts).
    define: { __PKS_BUILD_ID__: JSON.stringify(buildId) },
    plugins: [lazyChildProcessForCommander],
    logLevel: 'warning',
  });
  if (existsSync(`${root}/dist`)) renameSync(`${root}/dist`, retired);
  renameSync(`${root}/${staging}`, `${root}/dist`);
} finally {
  rmSync(`${root}/${staging}`, { recursive: true, force: true });
  rmSync(retired, { recursive: true, force: true });
}
// Without a cache pks only starts slower: never fail the build for it.
await recordCodeCache().catch((error) => process.stderr.write(`build: no code cache recorded: ${error instanceof Error ? error.message : String(error)}\n`));
