// What the upload plans to send, on a real folder: every path is reached
// without following a symlink in any folder on the way.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { planUpload, type UploadPlan } from '../../src/core/spawn/workspace-upload.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function folder(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

const shown = (plan: UploadPlan): string[] => plan.files.map((file) => `${file.kind} ${file.relative}`);

describe('the upload plan', () => {
  it('paths git lists below a folder that is now a symlink are not planned (git says they are deleted)', async () => {
    const secrets = await folder('pks-plan-secrets-');
    await writeFile(path.join(secrets, 'prod.env'), 'SECRET=1\n');
    await writeFile(path.join(secrets, 'id_ed25519'), 'PRIVATE KEY\n');
    const project = await folder('pks-plan-');
    await writeFile(path.join(project, 'a.txt'), 'a\n');
    await symlink(secrets, path.join(project, 'config'));
    // As git lists them: the tracked paths, and the symlink itself when it is untracked and not ignored.
    const plan = await planUpload(project, ['a.txt', 'config', 'config/id_ed25519', 'config/prod.env']);
    assert.deepEqual(shown(plan), ['file a.txt', 'symlink config']);
    assert.deepEqual(plan.missing, ['config/id_ed25519', 'config/prod.env']);
    assert.equal(plan.totalBytes, 2);
    // With .gitignore naming it, git does not list the symlink: nothing of it goes.
    assert.deepEqual(shown(await planUpload(project, ['a.txt', 'config/id_ed25519', 'config/prod.env'])), ['file a.txt']);
  });

  it('a symlinked folder deeper down, and folders git lists as one path (a submodule), are not entered', async () => {
    const secrets = await folder('pks-plan-secrets-');
    await writeFile(path.join(secrets, 'key'), 'k\n');
    const project = await folder('pks-plan-');
    await mkdir(path.join(project, 'src/deep'), { recursive: true });
    await writeFile(path.join(project, 'src/deep/ok.txt'), 'ok\n');
    await symlink(secrets, path.join(project, 'src/linked'));
    await symlink(secrets, path.join(project, 'vendor'));
    const plan = await planUpload(project, ['src/deep/ok.txt', 'src/linked/key', 'vendor']);
    assert.deepEqual(shown(plan), ['directory src', 'directory src/deep', 'file src/deep/ok.txt', 'symlink vendor']);
    assert.deepEqual(plan.missing, ['src/linked/key']);
  });

  it('a FIFO or socket in the project is left out, and planning it does not wait', async () => {
    const project = await folder('pks-plan-');
    await writeFile(path.join(project, 'a.txt'), 'a');
    execFileSync('mkfifo', [path.join(project, 'pipe')]);
    assert.deepEqual(shown(await planUpload(project, ['a.txt', 'pipe'])), ['file a.txt']);
    assert.deepEqual(shown(await planUpload(project, undefined)), ['file a.txt']);
  });
});
