// Whose container it is, and how that steers matching: pure logic, no engine.
import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, it } from 'node:test';
import { matchContainers, matchFolder } from '../../src/core/containers/container-match.js';
import { summarize } from '../../src/core/containers/discovery.js';
import { isOwnedBy, localUserName, otherOwner } from '../../src/core/containers/owner.js';

function container(project: string, id: string, spawnedBy: string | null, projectPath = `/src/${project}`) {
  return { project, containerId: id.padEnd(64, '0'), name: `pks-${spawnedBy ?? 'x'}-${project}-${id}`, projectPath, spawnedBy };
}

const mine = (c: { spawnedBy: string | null }): boolean => isOwnedBy(c, 'bob');

describe('owner of a container', () => {
  it('is the local user: $USER, else $LOGNAME, else the OS account', () => {
    assert.equal(localUserName({ USER: 'bob', LOGNAME: 'other' }), 'bob');
    assert.equal(localUserName({ LOGNAME: 'carol' }), 'carol');
    assert.equal(localUserName({}), os.userInfo().username);
    assert.equal(localUserName({ USER: '' }), os.userInfo().username);
  });

  it('a container without pks.spawned.by counts as the user\'s own (unknown owner)', () => {
    assert.equal(isOwnedBy({ spawnedBy: null }, 'bob'), true);
    assert.equal(otherOwner({ spawnedBy: null }, 'bob'), undefined);
    assert.equal(otherOwner({ spawnedBy: 'bob' }, 'bob'), undefined);
    assert.equal(otherOwner({ spawnedBy: 'alice' }, 'bob'), 'alice');
  });

  it('list carries pks.spawned.by as spawnedBy (null when absent)', () => {
    const base = { Id: 'f'.repeat(64), Names: ['/pks-alice-api'], Image: 'img', State: 'running', Status: 'Up', Created: 1_700_000_000 };
    assert.equal(summarize({ ...base, Labels: { 'pks.managed': 'true', 'pks.spawned.by': 'alice' } }, 'r1').spawnedBy, 'alice');
    assert.equal(summarize({ ...base, Labels: { 'pks.managed': 'true' } }, 'r1').spawnedBy, null);
  });
});

describe('matching prefers the user\'s own containers', () => {
  const alices = container('hello', 'aaa111', 'alice');
  const bobs = container('hello', 'bbb222', 'bob');
  const old = container('hello', 'ccc333', null);

  it('another user\'s project of the same name does not make it ambiguous', () => {
    assert.deepEqual(matchContainers([alices, bobs], 'hello', mine), { matches: [bobs], rule: 'project' });
    assert.deepEqual(matchContainers([alices, bobs], 'hel', mine), { matches: [bobs], rule: 'prefix' });
  });

  it('containers of unknown owner stay candidates next to the user\'s own', () => {
    assert.deepEqual(matchContainers([alices, bobs, old], 'hello', mine).matches, [bobs, old]);
  });

  it('another user\'s container is still found when it is the only match', () => {
    assert.deepEqual(matchContainers([alices, container('web', 'ddd444', 'bob')], 'hello', mine), { matches: [alices], rule: 'project' });
    assert.deepEqual(matchContainers([alices, bobs], 'aaa1', mine), { matches: [alices], rule: 'id' });
  });

  it('an exact match of another user\'s container beats a prefix of the user\'s own', () => {
    const bobsLonger = container('hello-world', 'eee555', 'bob');
    assert.deepEqual(matchContainers([alices, bobsLonger], 'hello', mine), { matches: [alices], rule: 'project' });
  });

  it('without an argument, the user\'s own spawn of the folder wins, even from a folder above', () => {
    const alicesInner = container('svc', 'fff666', 'alice', '/src/hello/svc');
    assert.deepEqual(matchFolder([alices, bobs], '/src/hello', mine).matches, [bobs]);
    assert.deepEqual(matchFolder([alicesInner, bobs], '/src/hello/svc', mine).matches, [bobs]);
    assert.deepEqual(matchFolder([alices], '/src/hello', mine).matches, [alices]);
    assert.deepEqual(matchFolder([alices, bobs], '/src/hello').matches, [alices, bobs], 'without a preference both match');
  });
});
