// Which files differ between the upload's manifest and what git lists now.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { differingFiles, manifestOf } from '../../src/core/spawn/upload-manifest.js';
import type { PlannedFile, UploadPlan } from '../../src/core/spawn/workspace-upload.js';

const file = (relative: string, size: number, mtime: number, kind: PlannedFile['kind'] = 'file'): PlannedFile =>
  ({ relative, kind, size, mode: 0o644, mtime, identity: { dev: 0, ino: 0 } }) as unknown as PlannedFile;

describe('upload manifest', () => {
  it('records files and symlinks by size and mtime, leaving folders and .git out', () => {
    const plan: UploadPlan = { files: [file('src', 0, 1, 'directory'), file('src/a.ts', 3, 10), file('link', 4, 11, 'symlink'), file('.git/index', 9, 12), file('sub/.git/HEAD', 1, 1)], totalBytes: 16, missing: [] };
    assert.deepEqual(manifestOf(plan), { 'src/a.ts': '3:10', link: '4:11' });
  });

  it('counts files changed, added and removed here, sorted', () => {
    assert.deepEqual(differingFiles({ a: '1:1', b: '2:2', gone: '3:3' }, { a: '1:1', b: '2:5', added: '1:9' }), ['added', 'b', 'gone']);
    assert.deepEqual(differingFiles({ a: '1:1' }, { a: '1:1' }), []);
  });
});
