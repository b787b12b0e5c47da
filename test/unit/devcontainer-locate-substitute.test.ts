// Finding devcontainer.json, and variable substitution.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { findConfigCandidates, locateConfig, locateConfigFile } from '../../src/devcontainer/config-files.js';
import { devcontainerId, devcontainerIdLabels } from '../../src/devcontainer/devcontainer-id.js';
import { envListToObject, substituteContainerEnv, substituteLocal } from '../../src/devcontainer/substitute.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'pks-dc-locate-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function project(name: string, files: string[]): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), '{}');
  }
  return dir;
}

describe('locating devcontainer.json', () => {
  it('finds the three places of the spec, in its order', async () => {
    const dir = project('all', ['.devcontainer/devcontainer.json', '.devcontainer.json', '.devcontainer/b/devcontainer.json', '.devcontainer/a/devcontainer.json', '.devcontainer/a/deeper/x/devcontainer.json']);
    const found = (await findConfigCandidates(dir)).map((file) => path.relative(dir, file));
    assert.deepEqual(found, ['.devcontainer/devcontainer.json', '.devcontainer.json', '.devcontainer/a/devcontainer.json', '.devcontainer/b/devcontainer.json']);
  });

  it('uses the only one there is', async () => {
    const dir = project('dot', ['.devcontainer.json']);
    assert.equal(await locateConfigFile(dir), path.join(dir, '.devcontainer.json'));
  });

  it('says where it looked and how to create one when there is none', async () => {
    const dir = project('none', ['README.md']);
    await assert.rejects(locateConfigFile(dir), (error) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_CONFIG_NOT_FOUND');
      assert.match(error.message, /No dev container configuration found in .*none/);
      assert.match(error.hint ?? '', /\.devcontainer\/devcontainer\.json, \.devcontainer\.json and \.devcontainer\/<name>\/devcontainer\.json/);
      assert.match(error.hint ?? '', /Create one/);
      return true;
    });
  });

  it('lists the candidates as --config values when several exist and nobody can choose', async () => {
    const dir = project('several', ['.devcontainer/py/devcontainer.json', '.devcontainer/node/devcontainer.json']);
    await assert.rejects(locateConfigFile(dir, { cwd: dir }), (error) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_CONFIG_AMBIGUOUS');
      assert.equal(error.exitCode, 2);
      assert.match(error.hint ?? '', /--config \.devcontainer\/node\/devcontainer\.json\n {4}--config \.devcontainer\/py\/devcontainer\.json/);
      return true;
    });
  });

  it('takes .devcontainer/devcontainer.json, then .devcontainer.json, as the default when nothing chooses', async () => {
    const both = project('both-defaults', ['.devcontainer/devcontainer.json', '.devcontainer.json', '.devcontainer/py/devcontainer.json']);
    assert.deepEqual(await locateConfig(both, { cwd: both }), {
      file: path.join(both, '.devcontainer/devcontainer.json'),
      alsoFound: [path.join(both, '.devcontainer.json'), path.join(both, '.devcontainer/py/devcontainer.json')],
    });
    const dot = project('dot-default', ['.devcontainer.json', '.devcontainer/py/devcontainer.json']);
    let offeredDefault: string | undefined;
    const located = await locateConfig(dot, {
      cwd: dot,
      choose: async (_candidates, defaultFile) => {
        offeredDefault = defaultFile;
        return undefined;
      },
    });
    assert.equal(offeredDefault, path.join(dot, '.devcontainer.json'));
    assert.deepEqual(located, { file: path.join(dot, '.devcontainer.json'), alsoFound: [path.join(dot, '.devcontainer/py/devcontainer.json')] });
  });

  it('asks the chooser when several exist, and honours --config', async () => {
    const dir = project('choose', ['.devcontainer/devcontainer.json', '.devcontainer/py/devcontainer.json']);
    let offered: readonly string[] = [];
    const chosen = await locateConfigFile(dir, {
      choose: async (candidates) => {
        offered = candidates;
        return candidates[1] as string;
      },
    });
    assert.equal(offered.length, 2);
    assert.equal(chosen, path.join(dir, '.devcontainer/py/devcontainer.json'));
    assert.equal(await locateConfigFile(dir, { configFile: '.devcontainer/py/devcontainer.json', cwd: dir }), chosen);
    await assert.rejects(locateConfigFile(dir, { configFile: 'nope.json', cwd: dir }), /nope\.json does not exist/);
  });
});

describe('variable substitution', () => {
  const context = {
    localWorkspaceFolder: '/home/me/src/my-app',
    containerWorkspaceFolder: '/workspaces/${localWorkspaceFolderBasename}',
    env: { HOME: '/home/me', EMPTY: '' },
    devcontainerId: 'abc123',
  };

  it('substitutes every local variable', () => {
    const out = substituteLocal(
      {
        a: '${localWorkspaceFolder}',
        b: '${localWorkspaceFolderBasename}',
        c: '${containerWorkspaceFolder}',
        d: '${containerWorkspaceFolderBasename}',
        e: '${localEnv:HOME}/x',
        f: '${env:HOME}',
        g: '${devcontainerId}',
      },
      context,
    );
    assert.deepEqual(out, {
      a: '/home/me/src/my-app',
      b: 'my-app',
      c: '/workspaces/my-app',
      d: 'my-app',
      e: '/home/me/x',
      f: '/home/me',
      g: 'abc123',
    });
  });

  it('uses defaults for missing variables and the empty string without one', () => {
    const out = substituteLocal(['${localEnv:NOPE:fallback}', '${localEnv:NOPE}', '${localEnv:EMPTY:unused}', '${localEnv:NOPE:a:b}'], context);
    assert.deepEqual(out, ['fallback', '', '', 'a']);
  });

  it('leaves unknown variables and containerEnv for later, and never touches keys or non-strings', () => {
    const out = substituteLocal({ '${localEnv:HOME}': '${HOME} ${containerEnv:PATH} ${unknown:x}', n: 1, t: true, z: null, list: [{ k: '${localWorkspaceFolderBasename}' }] }, context);
    assert.deepEqual(out, { '${localEnv:HOME}': '${HOME} ${containerEnv:PATH} ${unknown:x}', n: 1, t: true, z: null, list: [{ k: 'my-app' }] });
  });

  it('refuses ${localEnv} without a name', () => {
    assert.throws(() => substituteLocal('${localEnv}', { ...context, configFile: 'x.json' }), /\$\{localEnv\} in x\.json cannot be resolved: no environment variable name/);
  });

  it('resolves ${containerEnv:VAR[:default]} in a second pass', () => {
    const containerEnv = envListToObject(['PATH=/usr/bin:/bin', 'EQ=a=b', 'BROKEN']);
    assert.deepEqual(containerEnv, { PATH: '/usr/bin:/bin', EQ: 'a=b' });
    assert.deepEqual(substituteContainerEnv({ p: '${containerEnv:PATH}:/x', q: '${containerEnv:NOPE:d}', r: '${localEnv:HOME}' }, containerEnv), {
      p: '/usr/bin:/bin:/x',
      q: 'd',
      r: '${localEnv:HOME}',
    });
  });
});

describe('${devcontainerId}', () => {
  it('follows the spec: SHA-256 of the sorted labels as JSON, base 32, 52 characters', () => {
    const labels = { 'devcontainer.local_folder': '/home/me/app', 'devcontainer.config_file': '/home/me/app/.devcontainer/devcontainer.json' };
    const expected = BigInt(`0x${createHash('sha256').update(JSON.stringify(labels, Object.keys(labels).sort())).digest('hex')}`)
      .toString(32)
      .padStart(52, '0');
    assert.equal(devcontainerId(labels), expected);
    assert.match(devcontainerId(labels), /^[0-9a-v]{52}$/);
  });

  it('is stable per project and host, and differs between hosts', () => {
    const local = devcontainerId(devcontainerIdLabels('/p', '/p/.devcontainer/devcontainer.json'));
    assert.equal(devcontainerId(devcontainerIdLabels('/p', '/p/.devcontainer/devcontainer.json', 'local')), local);
    const r1 = devcontainerId(devcontainerIdLabels('/p', '/p/.devcontainer/devcontainer.json', 'r1'));
    assert.notEqual(r1, local);
    assert.equal(devcontainerId(devcontainerIdLabels('/p', '/p/.devcontainer/devcontainer.json', 'r1')), r1);
    assert.notEqual(devcontainerId(devcontainerIdLabels('/q', '/q/.devcontainer/devcontainer.json')), local);
  });
});
