// What spawn says about the file set before it sends it.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { uploadWarnings } from '../../src/core/spawn/spawn.js';
import { planUpload, type PlannedFile } from '../../src/core/spawn/workspace-upload.js';
import type { LoadedDevcontainerConfig } from '../../src/devcontainer/index.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

const file = (relative: string, kind: PlannedFile['kind'] = 'file'): PlannedFile => ({ relative, kind, size: 1, mode: 0o644, mtime: 0, identity: { dev: 0n, ino: 0n } });

async function warningsFor(files: PlannedFile[], gitFile?: string): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pks-upload-warn-'));
  dirs.push(dir);
  if (gitFile !== undefined) {
    await writeFile(path.join(dir, '.git'), gitFile);
    // The .git the plan found: only that file is read.
    const [planned] = (await planUpload(dir, ['.git'])).files;
    files = files.map((f) => (f.relative === '.git' && planned !== undefined ? planned : f));
  }
  const loaded = { configFile: path.join(dir, '.devcontainer', 'devcontainer.json') } as LoadedDevcontainerConfig;
  return uploadWarnings(dir, loaded, { files, totalBytes: files.length, missing: [] });
}

describe('upload warnings', () => {
  it('nothing to say about an ordinary project', async () => {
    assert.deepEqual(await warningsFor([file('.devcontainer', 'directory'), file('.devcontainer/devcontainer.json'), file('a.txt')]), []);
  });

  it('a configuration file git does not carry', async () => {
    const [warning] = await warningsFor([file('a.txt')]);
    assert.match(warning ?? '', /^\.devcontainer\/devcontainer\.json is not among the files uploaded \(git ignores it, or a repository above the project does\): the volume gets 1 file; --include-ignored sends everything\.$/);
  });

  it('a worktree\'s .git file, which names a folder of this machine', async () => {
    const warnings = await warningsFor([file('.devcontainer/devcontainer.json'), file('.git')], 'gitdir: /home/me/main/.git/worktrees/feature\n');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^The project's \.git is a file \(gitdir: \/home\/me\/main\/\.git\/worktrees\/feature\): .*git will not work inside the container/);
  });
});
