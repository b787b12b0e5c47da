import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { describe, it } from 'node:test';
import { SPAWN_OWNER_LABEL, ownerIsGone, spawnOwner } from '../../src/core/spawn/existing.js';

describe('the spawn owner label', () => {
  it('names this machine and process', () => {
    assert.equal(spawnOwner(), `${os.hostname()}:${process.pid}`);
  });

  it('is gone only for an ended process of this machine', () => {
    const deadPid = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    assert.equal(ownerIsGone({ [SPAWN_OWNER_LABEL]: `${os.hostname()}:${deadPid}` }), true);
    assert.equal(ownerIsGone({ [SPAWN_OWNER_LABEL]: spawnOwner() }), false, 'this process runs');
    assert.equal(ownerIsGone({ [SPAWN_OWNER_LABEL]: `another-laptop:${deadPid}` }), false, 'another machine: cannot tell');
    assert.equal(ownerIsGone({}), false, 'no label (older pks)');
  });
});
