// The configuration hash: what changes it and what does not.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { canonicalJson, diffHashInputs } from '../../src/devcontainer/config-hash.js';
import { loadDevcontainerConfig } from '../../src/devcontainer/load-config.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'pks-dc-hash-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const CONFIG = `{
  // a comment
  "name": "hashed",
  "build": { "dockerfile": "Dockerfile", "args": { "V": "1" } },
  "features": { "./feat": { "level": "low" } },
  "containerEnv": { "HOME_COPY": "\${localEnv:HOME}" },
}
`;

let counter = 0;
function project(config = CONFIG): string {
  const dir = path.join(tmp, `p${counter++}`, 'app');
  mkdirSync(path.join(dir, '.devcontainer', 'feat'), { recursive: true });
  writeFileSync(path.join(dir, '.devcontainer', 'devcontainer.json'), config);
  writeFileSync(path.join(dir, '.devcontainer', 'Dockerfile'), 'FROM pks-test/busybox:latest\n');
  writeFileSync(path.join(dir, '.devcontainer', 'feat', 'devcontainer-feature.json'), '{"id": "feat", "version": "1.0.0", "options": {"level": {"type": "string", "default": "mid"}}}');
  writeFileSync(path.join(dir, '.devcontainer', 'feat', 'install.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  return dir;
}

async function hashOf(dir: string, env: Record<string, string> = { HOME: '/home/a' }) {
  return (await loadDevcontainerConfig(dir, { env })).configHash;
}

describe('configuration hash', () => {
  it('is a SHA-256 and the same when read twice', async () => {
    const dir = project();
    const first = await hashOf(dir);
    assert.match(first.hash, /^[0-9a-f]{64}$/);
    assert.equal((await hashOf(dir)).hash, first.hash);
  });

  it('ignores comments, whitespace, trailing commas and key order', async () => {
    const reference = (await hashOf(project())).hash;
    const reformatted = `{"containerEnv":{"HOME_COPY":"\${localEnv:HOME}"},"features":{"./feat":{"level":"low"}},
      /* moved */ "build":{"args":{"V":"1"},"dockerfile":"Dockerfile"},"name":"hashed"}`;
    assert.equal((await hashOf(project(reformatted))).hash, reference);
  });

  it('is the same on another machine: other project path, other environment', async () => {
    const reference = (await hashOf(project())).hash;
    const elsewhere = path.join(tmp, 'other-machine', 'somewhere', 'app');
    cpSync(project(), elsewhere, { recursive: true });
    assert.equal((await hashOf(elsewhere, { HOME: '/Users/b' })).hash, reference);
  });

  it('changes with a value, and says the config file changed', async () => {
    const before = await hashOf(project());
    const after_ = await hashOf(project(CONFIG.replace('"V": "1"', '"V": "2"')));
    assert.notEqual(after_.hash, before.hash);
    assert.deepEqual(diffHashInputs(before.inputs, after_.inputs), [{ path: '.devcontainer/devcontainer.json', change: 'modified' }]);
  });

  it('changes with the Dockerfile, and names it', async () => {
    const dir = project();
    const before = await hashOf(dir);
    writeFileSync(path.join(dir, '.devcontainer', 'Dockerfile'), 'FROM pks-test/busybox:latest\nRUN true\n');
    const after_ = await hashOf(dir);
    assert.notEqual(after_.hash, before.hash);
    assert.deepEqual(diffHashInputs(before.inputs, after_.inputs), [{ path: '.devcontainer/Dockerfile', change: 'modified' }]);
  });

  it('changes with a Feature option (the config and the Feature list both change)', async () => {
    const before = await hashOf(project());
    const after_ = await hashOf(project(CONFIG.replace('"level": "low"', '"level": "high"')));
    assert.notEqual(after_.hash, before.hash);
    assert.deepEqual(
      diffHashInputs(before.inputs, after_.inputs).map((c) => c.path),
      ['.devcontainer/devcontainer.json', '(features)'],
    );
  });

  it('changes with a local Feature\'s files, contents or executable bit, and names the file', async () => {
    const dir = project();
    const before = await hashOf(dir);
    writeFileSync(path.join(dir, '.devcontainer', 'feat', 'install.sh'), '#!/bin/sh\necho changed\n');
    const edited = await hashOf(dir);
    assert.deepEqual(diffHashInputs(before.inputs, edited.inputs), [{ path: '.devcontainer/feat/install.sh', change: 'modified' }]);
    writeFileSync(path.join(dir, '.devcontainer', 'feat', 'extra.sh'), 'x');
    const added = await hashOf(dir);
    assert.deepEqual(diffHashInputs(edited.inputs, added.inputs), [{ path: '.devcontainer/feat/extra.sh', change: 'added' }]);
    assert.notEqual(added.hash, edited.hash);
  });

  it('does not change with files the configuration does not use', async () => {
    const dir = project();
    const before = (await hashOf(dir)).hash;
    writeFileSync(path.join(dir, 'README.md'), 'docs');
    writeFileSync(path.join(dir, '.devcontainer', 'notes.txt'), 'notes');
    assert.equal((await hashOf(dir)).hash, before);
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every level and drops undefined like JSON does', () => {
    assert.equal(canonicalJson({ b: [1, { d: 1, c: undefined, a: 'x' }], a: null }), '{"a":null,"b":[1,{"a":"x","d":1}]}');
  });
});
