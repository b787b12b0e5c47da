// Which build of pks the benchmarks measure. Others share this checkout and
// rebuild it at any time (the build empties dist/ first), so a run measures a
// private copy: of this checkout's bin/ and dist/ by default, or of HEAD
// exported and built apart (`--head`: the committed code, not work in
// progress). PKS_BENCH_BIN measures another build as it is (a what-if).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The CLI the benchmarks run (a live binding: snapshotBuild() points it at the copy). */
export let pksBin = process.env.PKS_BENCH_BIN ?? path.join(repoRoot, 'bin', 'pks.cjs');

export interface BuildSnapshot {
  /** What was measured, for the results. */
  label: string;
  remove(): Promise<void>;
}

function git(...args: string[]): string {
  const result = spawnSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

export async function snapshotBuild(options: { fromHead?: boolean } = {}): Promise<BuildSnapshot> {
  if (process.env.PKS_BENCH_BIN !== undefined) return { label: `the build at ${process.env.PKS_BENCH_BIN}`, remove: async () => undefined };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pks-bench-build-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    // ssh2 is outside the bundle: resolved from the checkout's node_modules.
    await symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
    const commit = git('rev-parse', '--short', 'HEAD');
    let label: string;
    if (options.fromHead === true) {
      const exported = spawnSync('sh', ['-c', `git -C '${repoRoot}' archive --format=tar HEAD bin src scripts package.json tsconfig.json | tar -x -C '${dir}'`]);
      if (exported.status !== 0) throw new Error(`git archive failed: ${exported.stderr.toString()}`);
      const built = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: dir, encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`build of HEAD failed: ${built.stderr}`);
      label = `commit ${commit} (HEAD, exported and built apart)`;
    } else {
      // A rebuild in progress leaves dist/ empty for a moment: wait for it.
      for (let tries = 0; !existsSync(path.join(repoRoot, 'dist', 'pks.cjs')); tries += 1) {
        if (tries >= 30) throw new Error('no build in dist/: run npm run build');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      for (const part of ['bin', 'dist', 'package.json']) await cp(path.join(repoRoot, part), path.join(dir, part), { recursive: true });
      const dirty = git('status', '--porcelain', '--', 'src') !== '';
      label = `this checkout's build (commit ${commit}${dirty ? ', with uncommitted changes in src/' : ''})`;
    }
    pksBin = path.join(dir, 'bin', 'pks.cjs');
    return { label, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
