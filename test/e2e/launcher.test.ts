// bin/pks.cjs and the build's code cache: the cache belongs to one build, and
// a missing, foreign or damaged cache never stops pks from running.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import packageJson from '../../package.json' with { type: 'json' };
import { repoRoot } from '../helpers/test-env.js';

const run = promisify(execFile);

async function pks(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(dir, 'bin', 'pks.cjs'), ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('launcher and code cache', () => {
  let copy: string;
  let cacheName: string;
  before(async () => {
    copy = await mkdtemp(path.join(os.tmpdir(), 'pks-launcher-'));
    for (const part of ['bin', 'dist']) await cp(path.join(repoRoot, part), path.join(copy, part), { recursive: true });
  });
  after(() => rm(copy, { recursive: true, force: true }));

  it('the build recorded one cache, named after the build id in the bundle', async () => {
    const bundle = await readFile(path.join(copy, 'dist', 'pks.cjs'), 'utf8');
    const id = /^\/\/ pks build ([0-9a-f]{16})\n/.exec(bundle)?.[1];
    assert.ok(id !== undefined, 'the bundle starts with its build id');
    const caches = (await readdir(path.join(copy, 'dist'))).filter((name) => name.endsWith('.cache'));
    assert.deepEqual(caches, [`pks.${id}.cache`]);
    cacheName = caches[0] ?? '';
    assert.ok((await readFile(path.join(copy, 'dist', cacheName))).length > 100_000, 'the cache holds the compiled start-up path');
  });

  it('runs with its cache, with a damaged one and without one', async () => {
    assert.deepEqual(await pks(copy, '--version'), { code: 0, stdout: `${packageJson.version}\n`, stderr: '' });
    await writeFile(path.join(copy, 'dist', cacheName), 'not a code cache');
    assert.deepEqual(await pks(copy, '--version'), { code: 0, stdout: `${packageJson.version}\n`, stderr: '' });
    await rm(path.join(copy, 'dist', cacheName));
    const help = await pks(copy, 'devcontainer', '--help');
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /spawn/);
  });

  it('without a build, says how to make one', async () => {
    await rm(path.join(copy, 'dist'), { recursive: true });
    const result = await pks(copy, '--version');
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'pks: the CLI is not built yet. Run: npm run build\n');
  });
});
