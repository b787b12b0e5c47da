// The free-disk check of a spawn that resumes: the workspace is in the
// project's volume already, so it is not counted again.
import assert from 'node:assert/strict';
import { execFile, spawn as spawnProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { E2eFixture } from '../helpers/e2e-fixture.js';
import { STACK_TRACE, pksBin } from '../helpers/pks-cli.js';
import { containerExec, leftovers } from '../helpers/projects.js';

const fixture = new E2eFixture(['local']);
before(() => fixture.setUp());
after(() => fixture.tearDown());

describe('spawn resumed after Ctrl-C (local engine)', () => {
  it('does not count the workspace the volume holds against the free disk', async (t) => {
    const started = Date.now();
    const p = await fixture.project('local', {
      // The first run's hook waits (long enough to be interrupted); the next one's does not.
      '.devcontainer/devcontainer.json': JSON.stringify({
        image: 'pks-test/busybox:latest',
        postCreateCommand: 'if [ ! -e /tmp/once ]; then touch /tmp/once; echo hook-waiting; sleep 60; fi',
      }),
      'a.txt': 'a\n',
    });
    const child = spawnProcess(process.execPath, [pksBin, 'devcontainer', 'spawn', p.dir], { env: fixture.sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/hook-waiting/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    assert.equal(await exited, 130, stderr);
    t.diagnostic(`interrupted after ${Date.now() - started} ms`);
    assert.match(stderr, /is kept; its lifecycle hooks did not all finish/);
    assert.equal((await leftovers(fixture.engine('local'), p.dir)).containers.length, 1);

    // Meanwhile the project has grown past any disk (a sparse file): a new
    // upload could not fit, but the volume holds the workspace already.
    await promisify(execFile)('truncate', ['-s', '8T', path.join(p.dir, 'huge.bin')]);
    const again = await fixture.spawn('local', p.dir);
    t.diagnostic(`resumed after ${Date.now() - started} ms`);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /Not enough disk space/);
    assert.doesNotMatch(again.stderr, STACK_TRACE);
    assert.equal(again.outcome?.action, 'reused');
    const id = again.outcome?.containerId ?? '';
    assert.equal((await containerExec(fixture.engine('local'), id, ['cat', `/workspaces/${p.name}/a.txt`])).stdout, 'a\n');

    // A project of that size going into a new volume is still refused, before anything is created.
    const fresh = await fixture.spawn('local', p.dir, ['--volume-name', `pks-test-fresh-${p.name}`, '--force']);
    assert.equal(fresh.code, 1, fresh.stderr);
    assert.match(fresh.stderr, /Not enough disk space on the local engine: .* free under .*, but the workspace needs 8\.0 TiB plus 512\.0 MiB of head room\./);
  });
});
