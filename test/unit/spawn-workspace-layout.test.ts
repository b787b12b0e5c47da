// Where the workspace goes in the container: the config engine's workspace
// folder and workspaceMount target, and spawn's layout (root, mount point).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { uploadBase, workspaceLayout } from '../../src/core/spawn/workspace-layout.js';
import { loadDevcontainerConfig } from '../../src/devcontainer/load-config.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'pks-layout-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;

async function load(config: Record<string, unknown>) {
  const dir = path.join(tmp, `p${counter++}`, 'app');
  mkdirSync(path.join(dir, '.devcontainer'), { recursive: true });
  writeFileSync(path.join(dir, '.devcontainer', 'devcontainer.json'), JSON.stringify({ image: 'pks-test/busybox:latest', ...config }));
  return loadDevcontainerConfig(dir, { env: {} });
}

describe('workspace folder and workspaceMount (config engine)', () => {
  it('defaults to /workspaces/<folder>, normalised when given', async () => {
    assert.equal((await load({})).workspaceFolder, '/workspaces/app');
    assert.equal((await load({ workspaceFolder: '/src//app/' })).workspaceFolder, '/src/app');
  });

  it('takes the target of workspaceMount (after substitution), which is also the default folder', async () => {
    const loaded = await load({ workspaceMount: 'source=${localWorkspaceFolder},target=/code/${localWorkspaceFolderBasename},type=bind' });
    assert.equal(loaded.workspaceMountTarget, '/code/app');
    assert.equal(loaded.workspaceFolder, '/code/app');
    assert.match(loaded.warnings.map((w) => w.message).join('\n'), /only the target \(\/code\/app\) is used/);
    assert.equal((await load({ workspaceMount: 'type=bind,source=/x,dst=/w', workspaceFolder: '/w/sub' })).workspaceMountTarget, '/w');
    assert.equal((await load({ workspaceMount: 'type=bind,source=/x' })).workspaceMountTarget, undefined);
  });

  it('substitutes ${containerWorkspaceFolder} in workspaceMount with workspaceFolder, or the default folder', async () => {
    const mount = 'source=${localWorkspaceFolder},target=${containerWorkspaceFolder},type=bind';
    const outside = await load({ workspaceMount: mount, workspaceFolder: '/src/app' });
    assert.equal(outside.workspaceMountTarget, '/src/app');
    assert.equal(outside.workspaceFolder, '/src/app');
    const basename = await load({ workspaceMount: 'source=${localWorkspaceFolder},target=/code/${containerWorkspaceFolderBasename},type=bind' });
    assert.equal(basename.workspaceMountTarget, '/code/app');
    const byDefault = await load({ workspaceMount: mount });
    assert.equal(byDefault.workspaceMountTarget, '/workspaces/app');
    assert.equal(byDefault.workspaceFolder, '/workspaces/app');
  });

  for (const bad of ['src', './src', '/', '${localEnv:UNSET}']) {
    it(`refuses the workspace folder "${bad}"`, async () => {
      await assert.rejects(load({ workspaceFolder: bad }), (error: unknown) => {
        assert.ok(isPksError(error));
        assert.equal(error.code, 'E_CONFIG_INVALID');
        assert.match(error.message, /devcontainer\.json: "workspaceFolder" must be an absolute folder in the container other than \//);
        return true;
      });
    });
  }

  it('refuses a relative workspaceMount target', async () => {
    await assert.rejects(load({ workspaceMount: 'source=/x,target=code,type=bind' }), /the target of "workspaceMount" must be an absolute folder/);
  });
});

describe('workspace layout (spawn)', () => {
  const cases: Array<[string, { workspaceFolder: string; workspaceMountTarget: string | undefined }, { root: string; mountPoint: string; base: string }]> = [
    ['default', { workspaceFolder: '/workspaces/app', workspaceMountTarget: undefined }, { root: '/workspaces/app', mountPoint: '/workspaces', base: '/workspaces' }],
    ['a folder of the project', { workspaceFolder: '/workspaces/app/packages/web', workspaceMountTarget: undefined }, { root: '/workspaces/app', mountPoint: '/workspaces', base: '/workspaces' }],
    ['another name under /workspaces', { workspaceFolder: '/workspaces/other', workspaceMountTarget: undefined }, { root: '/workspaces/other', mountPoint: '/workspaces', base: '/workspaces' }],
    ['/workspaces itself', { workspaceFolder: '/workspaces', workspaceMountTarget: undefined }, { root: '/workspaces', mountPoint: '/workspaces', base: '/' }],
    ['outside /workspaces', { workspaceFolder: '/src/app', workspaceMountTarget: undefined }, { root: '/src/app', mountPoint: '/src/app', base: '/src' }],
    ['a workspaceMount target', { workspaceFolder: '/workspace/sub', workspaceMountTarget: '/workspace' }, { root: '/workspace', mountPoint: '/workspace', base: '/' }],
    ['a workspaceMount target under /workspaces', { workspaceFolder: '/workspaces/x', workspaceMountTarget: '/workspaces/x' }, { root: '/workspaces/x', mountPoint: '/workspaces', base: '/workspaces' }],
  ];
  for (const [name, loaded, expected] of cases) {
    it(name, () => {
      const layout = workspaceLayout(loaded, 'app');
      assert.deepEqual({ ...layout, base: uploadBase(layout) }, expected);
    });
  }
});
