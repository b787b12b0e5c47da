// Dotfiles as the reference CLI installs them, through the built binary, on
// the local engine and on a remote host: cloned inside the container from a
// repository the container can reach (a bare repository of this test's,
// bind-mounted; the test hosts share this machine's file system), installed
// once after postCreateCommand and before postStartCommand, never again on a
// later spawn; linked when there is no install script; a clear error without
// git in the image.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { E2eFixture, remoteArgs } from '../helpers/e2e-fixture.js';
import { containerExec, type Where } from '../helpers/projects.js';

const exec = promisify(execFile);
const fixture = new E2eFixture(['local', 'r1']);
let dir: string;

/** A bare repository at <dir>/<name>.git holding `files`. */
async function bareRepository(name: string, files: Record<string, { text: string; mode?: number }>): Promise<void> {
  const work = path.join(dir, `${name}-work`);
  await mkdir(work);
  for (const [file, { text, mode }] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(work, file)), { recursive: true });
    await writeFile(path.join(work, file), text);
    if (mode !== undefined) await chmod(path.join(work, file), mode);
  }
  const git = (args: string[]) => exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', '-c', 'init.defaultBranch=main', ...args]);
  await git(['-C', work, 'init', '-q']);
  await git(['-C', work, 'add', '-A']);
  await git(['-C', work, 'commit', '-q', '-m', 'dotfiles']);
  await git(['clone', '-q', '--bare', work, path.join(dir, `${name}.git`)]);
}

before(async () => {
  await fixture.setUp();
  dir = await mkdtemp(path.join(os.tmpdir(), 'pks-dotfiles-'));
  await chmod(dir, 0o755);
  await bareRepository('scripted', { 'install.sh': { text: '#!/bin/sh\necho "dotfiles in $(pwd)" >> /tmp/order\n' }, '.ignored-rc': { text: 'x\n' } });
  await bareRepository('plain', {
    '.pks-test-rc': { text: 'alias ll="ls -l"\n' },
    README: { text: 'not linked\n' },
    // Not a conventional name, and not executable: only --dotfiles-install-command runs it.
    'my-setup': { text: '#!/bin/sh\necho "custom in $(pwd)" > /tmp/custom-ran\n', mode: 0o644 },
  });
});
after(async () => {
  await fixture.tearDown();
  await rm(dir, { recursive: true, force: true });
});

/** A configuration that sees the test's repositories at /srv/dotfiles and records the hooks' order in /tmp/order. */
function configWith(image = 'pks-test/debian:bookworm'): string {
  return JSON.stringify({
    image,
    mounts: [`source=${dir},target=/srv/dotfiles,type=bind,readonly`],
    postCreateCommand: 'echo postCreate >> /tmp/order',
    postStartCommand: 'echo postStart >> /tmp/order',
  });
}

for (const where of ['local', 'r1'] as const satisfies readonly Where[]) {
  describe(`dotfiles on ${where === 'local' ? 'the local engine' : `remote host ${where}`}`, () => {
    it('clones into ~/dotfiles and runs install.sh once, between postCreateCommand and postStartCommand; a later spawn does not run it again', async () => {
      const p = await fixture.project(where, { '.devcontainer/devcontainer.json': configWith() });
      const flags = ['--dotfiles-repository', 'file:///srv/dotfiles/scripted.git'];
      const first = await fixture.spawn(where, p.dir, flags);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /Installing dotfiles from file:\/\/\/srv\/dotfiles\/scripted\.git into ~\/dotfiles/);
      const id = first.outcome?.containerId ?? '';
      const e = fixture.engine(where);
      assert.equal((await containerExec(e, id, ['cat', '/tmp/order'])).stdout, 'postCreate\ndotfiles in /root/dotfiles\npostStart\n');
      assert.equal((await containerExec(e, id, ['git', '-C', '/root/dotfiles', 'log', '-1', '--format=%s'])).stdout, 'dotfiles\n');

      const stopped = await fixture.sandbox.run(['devcontainer', 'stop', ...remoteArgs(where), first.outcome?.containerName ?? '']);
      assert.equal(stopped.code, 0, stopped.stderr);
      const again = await fixture.spawn(where, p.dir, flags);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.outcome?.action, 'started');
      assert.doesNotMatch(again.stderr, /Installing dotfiles/);
      assert.equal((await containerExec(e, id, ['cat', '/tmp/order'])).stdout, 'postCreate\ndotfiles in /root/dotfiles\npostStart\npostStart\n', 'installed once');
    });
  });
}

describe('dotfiles on the local engine', () => {
  it('without an install script, links the dotfiles into the home folder from --dotfiles-target-path', async () => {
    const p = await fixture.project('local', { '.devcontainer/devcontainer.json': configWith() });
    const spawned = await fixture.spawn('local', p.dir, ['--dotfiles-repository', '/srv/dotfiles/plain.git', '--dotfiles-target-path', '/opt/my-dotfiles']);
    assert.equal(spawned.code, 0, spawned.stderr);
    const id = spawned.outcome?.containerId ?? '';
    const linked = await containerExec(fixture.engine('local'), id, ['sh', '-c', 'readlink ~/.pks-test-rc; cat ~/.pks-test-rc; ls -a ~ | grep -c -x -e README -e .git || true']);
    assert.equal(linked.stdout, '/opt/my-dotfiles/.pks-test-rc\nalias ll="ls -l"\n0\n');
  });

  it('--dotfiles-install-command runs that file of the clone (made executable); one that fails is E_DOTFILES_FAILED with its output', async () => {
    const p = await fixture.project('local', { '.devcontainer/devcontainer.json': configWith() });
    const spawned = await fixture.spawn('local', p.dir, ['--dotfiles-repository', 'file:///srv/dotfiles/plain.git', '--dotfiles-install-command', 'my-setup']);
    assert.equal(spawned.code, 0, spawned.stderr);
    const e = fixture.engine('local');
    const id = spawned.outcome?.containerId ?? '';
    assert.equal((await containerExec(e, id, ['cat', '/tmp/custom-ran'])).stdout, 'custom in /root/dotfiles\n');
    assert.equal((await containerExec(e, id, ['sh', '-c', '[ -e ~/.pks-test-rc ] && echo linked || echo not-linked'])).stdout, 'not-linked\n');

    const q = await fixture.project('local', { '.devcontainer/devcontainer.json': configWith() });
    const failed = await fixture.spawn('local', q.dir, ['--dotfiles-repository', 'file:///srv/dotfiles/plain.git', '--dotfiles-install-command', 'no-such-script']);
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(failed.outcome?.code, 'E_DOTFILES_FAILED');
    assert.match(failed.stderr, /no-such-script is not in \/root\/dotfiles/);
  });

  it('without git in the image: E_DOTFILES_FAILED naming git, the container kept', async () => {
    const p = await fixture.project('local', { '.devcontainer/devcontainer.json': configWith('pks-test/busybox:latest') });
    const spawned = await fixture.spawn('local', p.dir, ['--dotfiles-repository', 'file:///srv/dotfiles/scripted.git']);
    assert.equal(spawned.code, 1, spawned.stderr);
    assert.equal(spawned.outcome?.code, 'E_DOTFILES_FAILED');
    assert.match((spawned.outcome as { message?: string } | undefined)?.message ?? '', /git is not installed in the container/);
  });

  it('rebuild takes the same flags: the new container gets the dotfiles installed again', async () => {
    const p = await fixture.project('local', { '.devcontainer/devcontainer.json': configWith() });
    const first = await fixture.spawn('local', p.dir, ['--dotfiles-repository', 'file:///srv/dotfiles/scripted.git']);
    assert.equal(first.code, 0, first.stderr);
    const rebuilt = await fixture.sandbox.run(['devcontainer', 'rebuild', first.outcome?.containerName ?? '', '--format', 'json', '--dotfiles-repository', 'file:///srv/dotfiles/scripted.git'], { timeoutMs: 180_000 });
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    const id = (JSON.parse(rebuilt.stdout) as { containerId: string }).containerId;
    assert.notEqual(id, first.outcome?.containerId);
    assert.equal((await containerExec(fixture.engine('local'), id, ['cat', '/tmp/order'])).stdout, 'postCreate\ndotfiles in /root/dotfiles\npostStart\n');
  });

  it('--dotfiles-install-command without --dotfiles-repository is refused (exit 2)', async () => {
    const p = await fixture.project('local', { '.devcontainer/devcontainer.json': configWith() });
    const refused = await fixture.spawn('local', p.dir, ['--dotfiles-install-command', 'setup']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /--dotfiles-install-command needs --dotfiles-repository/);
  });
});
