// The name the commands pks suggests use for a container: the project name
// when that alone finds it again, else the container name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerReference } from '../../src/cli/container-reference.js';

interface Box {
  project: string;
  containerId: string;
  name: string;
  projectPath: string | null;
  owner: string;
}

const box = (project: string, id: string, owner = 'me'): Box => ({ project, containerId: id.padEnd(64, '0'), name: `pks-${owner}-${project}-${id}`, projectPath: `/src/${project}`, owner });
const mine = (c: Box): boolean => c.owner === 'me';

describe('containerReference', () => {
  const webapp = box('webapp', 'aa11');
  const api = box('api', 'bb22');

  it('is the project name when that names the container alone', () => {
    assert.equal(containerReference([webapp, api], webapp, mine), 'webapp');
  });

  it('is the container name when two of the user\'s containers share the project name', () => {
    const other = box('webapp', 'cc33');
    assert.equal(containerReference([webapp, other, api], webapp, mine), webapp.name);
    assert.equal(containerReference([webapp, other, api], other, mine), other.name);
  });

  it('another user\'s container of the same name does not make the user\'s own ambiguous, but is named in full', () => {
    const theirs = box('webapp', 'dd44', 'bob');
    assert.equal(containerReference([webapp, theirs], webapp, mine), 'webapp');
    assert.equal(containerReference([webapp, theirs], theirs, mine), theirs.name);
  });

  it('is the container name for a project name a shell would split or the terminal would show otherwise', () => {
    for (const project of ['my app', '-rf', 'x;rm', 'tab\there', '']) {
      const odd = { ...box('odd', 'ee55'), project };
      assert.equal(containerReference([odd], odd, mine), odd.name, JSON.stringify(project));
    }
  });
});
