// What `pks devcontainer spawn` sends when a folder of tracked files has been
// replaced by a symlink to somewhere else on this machine: git says those
// files are deleted, so none of them (and nothing the link points to) may
// reach the volume; the symlink itself goes as a symlink when git would carry
// it. Checked inside the volume, on the local engine and on remote host r1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { E2eFixture } from '../helpers/e2e-fixture.js';
import { STACK_TRACE } from '../helpers/pks-cli.js';
import { containerExec, type Project, type Where } from '../helpers/projects.js';

const run = promisify(execFile);
const fixture = new E2eFixture(['local', 'r1']);
const marker = `run-${randomBytes(4).toString('hex')}`;
let secrets: string;

before(async () => {
  await fixture.setUp();
  secrets = await mkdtemp(path.join(tmpdir(), 'pks-secrets-'));
  await writeFile(path.join(secrets, 'prod.env'), `SECRET=${marker}-prod\n`);
  await writeFile(path.join(secrets, 'id_ed25519'), `PRIVATE KEY ${marker}-key\n`);
});
after(async () => {
  await fixture.tearDown();
  await rm(secrets, { recursive: true, force: true });
});

/** A repository with config/prod.env and config/id_ed25519 committed, then `config` replaced by a symlink to the secrets. */
async function projectWithLinkedConfig(where: Where): Promise<Project> {
  const p = await fixture.project(where, {
    '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }),
    'a.txt': 'a\n',
    'config/prod.env': 'SECRET=placeholder\n',
    'config/id_ed25519': 'placeholder\n',
  });
  const git = (...args: string[]) => run('git', ['-C', p.dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args]);
  await git('add', '-A');
  await git('commit', '-qm', 'config');
  await rm(path.join(p.dir, 'config'), { recursive: true });
  await symlink(secrets, path.join(p.dir, 'config'));
  const status = await git('status', '--porcelain');
  assert.match(status.stdout, / D config\/id_ed25519\n D config\/prod\.env\n/, 'git calls the tracked files deleted');
  return p;
}

/** Nothing of the secrets anywhere in the volume (the link dangles in the container, so look at the bytes). */
async function assertNoSecret(where: Where, id: string, root: string): Promise<void> {
  const found = await containerExec(fixture.engine(where), id, ['grep', '-r', '-l', marker, root]);
  assert.equal(found.exitCode, 1, `the secrets reached the volume: ${found.stdout}${found.stderr}`);
}

for (const where of ['local', 'r1'] as const) {
  describe(`upload through a symlinked folder (${where === 'local' ? 'local engine' : 'remote host r1'})`, () => {
    it('a symlinked folder of tracked files that .gitignore names: nothing of it is sent', async () => {
      const p = await projectWithLinkedConfig(where);
      await appendFile(path.join(p.dir, '.gitignore'), 'config\n');
      const result = await fixture.spawn(where, p.dir);
      assert.equal(result.code, 0, result.stderr);
      const id = result.outcome?.containerId ?? '';
      const root = `/workspaces/${p.name}`;
      assert.equal((await containerExec(fixture.engine(where), id, ['cat', `${root}/a.txt`])).stdout, 'a\n');
      const config = await containerExec(fixture.engine(where), id, ['sh', '-c', 'test -e "$1" || test -L "$1"', 'sh', `${root}/config`]);
      assert.equal(config.exitCode, 1, 'no config in the volume: git carries neither the deleted files nor the ignored link');
      await assertNoSecret(where, id, '/workspaces');
    });

    it('the same symlink not ignored: it arrives as a symlink, not as what it points to', async () => {
      const p = await projectWithLinkedConfig(where);
      const result = await fixture.spawn(where, p.dir);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, STACK_TRACE);
      const id = result.outcome?.containerId ?? '';
      const root = `/workspaces/${p.name}`;
      const link = await containerExec(fixture.engine(where), id, ['readlink', `${root}/config`]);
      assert.equal(link.exitCode, 0, `config is a symlink in the volume: ${link.stderr}`);
      assert.equal(link.stdout, `${secrets}\n`);
      assert.equal((await containerExec(fixture.engine(where), id, ['test', '-d', `${root}/config`])).exitCode, 1, 'not a folder of files');
      await assertNoSecret(where, id, '/workspaces');
    });
  });
}

describe('upload through a symlinked submodule folder (local engine)', () => {
  it('git is not run behind the link, and nothing of what it points to is sent', async () => {
    const lib = await fixture.project('local', { 'index.js': 'module.exports = 1;\n' });
    const git = (dir: string, ...args: string[]) => run('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'protocol.file.allow=always', ...args]);
    await git(lib.dir, 'add', '-A');
    await git(lib.dir, 'commit', '-qm', 'lib');
    const p = await fixture.project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }), 'a.txt': 'a\n' });
    await git(p.dir, 'submodule', 'add', '-q', lib.dir, 'vendor/lib');
    await git(p.dir, 'commit', '-qm', 'with lib');
    // vendor/ replaced by a link to a folder whose lib/ is another repository.
    const outside = path.join(secrets, 'elsewhere');
    await mkdir(path.join(outside, 'lib'), { recursive: true });
    await git(path.join(outside, 'lib'), 'init', '-q');
    await writeFile(path.join(outside, 'lib/notes.txt'), `${marker}-outside-repository\n`);
    await rm(path.join(p.dir, 'vendor'), { recursive: true });
    await symlink(outside, path.join(p.dir, 'vendor'));
    // Every git pks runs, logged.
    const bin = path.join(secrets, 'bin');
    const log = path.join(secrets, 'git.log');
    await mkdir(bin);
    const realGit = (await run('sh', ['-c', 'command -v git'])).stdout.trim();
    await writeFile(path.join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realGit}' "$@"\n`);
    await chmod(path.join(bin, 'git'), 0o755);
    const result = await fixture.sandbox.run(['devcontainer', 'spawn', p.dir, '--format', 'json'], { env: { PATH: `${bin}:${process.env.PATH ?? ''}` }, timeoutMs: 180_000 });
    assert.equal(result.code, 0, result.stderr);
    const calls = await readFile(log, 'utf8');
    assert.match(calls, /ls-files/, 'the logged git is the one pks ran');
    assert.doesNotMatch(calls, /vendor|elsewhere/, `git ran behind the link:\n${calls}`);
    const id = (JSON.parse(result.stdout) as { containerId: string }).containerId;
    assert.equal((await containerExec(fixture.engine('local'), id, ['readlink', `/workspaces/${p.name}/vendor`])).stdout, `${outside}\n`);
    await assertNoSecret('local', id, '/workspaces');
  });
});
