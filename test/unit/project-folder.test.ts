// Which folder spawn takes when run inside a project: the nearest one above
// with a dev container configuration, never past the git root, the home
// folder, or a folder another user owns.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { findProjectFolder } from '../../src/cli/project-folder.js';

const root = mkdtempSync(path.join(tmpdir(), 'pks-project-folder-'));
after(() => rmSync(root, { recursive: true, force: true }));
const owner = statSync(root).uid;

function tree(name: string, files: string[]): string {
  const base = path.join(root, name);
  for (const file of files) {
    const full = path.join(base, file);
    if (file.endsWith('/')) mkdirSync(full, { recursive: true });
    else {
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, '{"image": "x"}');
    }
  }
  return base;
}

describe('findProjectFolder', () => {
  it('is the folder itself when it has a configuration', async () => {
    const base = tree('itself', ['.devcontainer/devcontainer.json', 'src/']);
    assert.equal(await findProjectFolder(base, { uid: owner }), base);
  });

  it('finds each of the spec\'s places in the nearest folder above', async () => {
    for (const [name, file] of [['primary', '.devcontainer/devcontainer.json'], ['dotfile', '.devcontainer.json'], ['named', '.devcontainer/node/devcontainer.json']] as const) {
      const base = tree(name, [file, 'src/deep/er/']);
      assert.equal(await findProjectFolder(path.join(base, 'src/deep/er'), { uid: owner }), base, name);
    }
  });

  it('stops at the root of the git work tree', async () => {
    const base = tree('git-root', ['.devcontainer.json', 'repo/.git/', 'repo/src/']);
    assert.equal(await findProjectFolder(path.join(base, 'repo/src'), { uid: owner }), undefined);
    const inside = tree('git-inside', ['.git/', '.devcontainer.json', 'src/']);
    assert.equal(await findProjectFolder(path.join(inside, 'src'), { uid: owner }), inside);
  });

  it('stops at the home folder', async () => {
    const base = tree('home', ['.devcontainer.json', 'user/work/']);
    assert.equal(await findProjectFolder(path.join(base, 'user/work'), { uid: owner, home: path.join(base, 'user') }), undefined);
  });

  it('does not enter a folder another user owns', async () => {
    const base = tree('other-owner', ['.devcontainer.json', 'src/']);
    assert.equal(await findProjectFolder(path.join(base, 'src'), { uid: owner + 1 }), undefined);
  });

  it('does not enter a folder others can write to (a shared /tmp)', async () => {
    const base = tree('shared', ['.devcontainer.json', 'src/']);
    chmodSync(base, 0o1777);
    assert.equal(await findProjectFolder(path.join(base, 'src'), { uid: owner }), undefined);
    chmodSync(base, 0o775);
    assert.equal(await findProjectFolder(path.join(base, 'src'), { uid: owner }), undefined, 'group-writable too');
    chmodSync(base, 0o755);
    assert.equal(await findProjectFolder(path.join(base, 'src'), { uid: owner }), base);
  });

  it('is undefined when nothing up to the file system root has one', async () => {
    const base = tree('nothing', ['a/b/']);
    assert.equal(await findProjectFolder(path.join(base, 'a/b'), { uid: owner }), undefined);
  });
});
