// The container as the developer's workplace, on the local engine and on a
// remote host, through the built binary: the git identity reaches it, every
// hook's output is kept with it, --prefer container backs up outside the
// project, and a reused copy that differs from this machine's is reported.
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { E2eFixture, remoteArgs } from '../helpers/e2e-fixture.js';
import { containerExec, type Where } from '../helpers/projects.js';

const fixture = new E2eFixture(['local', 'r1']);
before(async () => {
  await fixture.setUp();
  await writeFile(path.join(fixture.sandbox.home, '.gitconfig'), '[user]\n\tname = Ada Lovelace\n\temail = ada@example.org\n');
});
after(() => fixture.tearDown());

for (const where of ['local', 'r1'] as const satisfies readonly Where[]) {
  describe(`the container as a workplace on ${where === 'local' ? 'the local engine' : `remote host ${where}`}`, () => {
    it('a commit made inside carries this machine\'s git identity; --no-git-identity leaves it out', async () => {
      const config = JSON.stringify({ image: 'pks-test/debian:bookworm', postCreateCommand: 'git config --global --get user.email > /tmp/identity-in-hooks' });
      const p = await fixture.project(where, { '.devcontainer/devcontainer.json': config, 'a.txt': 'a\n' });
      const spawned = await fixture.spawn(where, p.dir, ['--verbose']);
      assert.equal(spawned.code, 0, spawned.stderr);
      assert.match(spawned.stderr, /Copied this machine's git user\.name and user\.email/);
      const id = spawned.outcome?.containerId ?? '';
      const e = fixture.engine(where);
      const commit = await containerExec(e, id, ['git', '-C', `/workspaces/${p.name}`, 'commit', '-q', '--allow-empty', '-m', 'made inside']);
      assert.equal(commit.exitCode, 0, commit.stdout + commit.stderr);
      const author = await containerExec(e, id, ['git', '-C', `/workspaces/${p.name}`, 'log', '-1', '--format=%an <%ae>']);
      assert.equal(author.stdout, 'Ada Lovelace <ada@example.org>\n');
      assert.equal((await containerExec(e, id, ['cat', '/tmp/identity-in-hooks'])).stdout, 'ada@example.org\n', 'written before the hooks ran');

      const without = await fixture.project(where, { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/debian:bookworm' }) });
      const optedOut = await fixture.spawn(where, without.dir, ['--no-git-identity']);
      assert.equal(optedOut.code, 0, optedOut.stderr);
      const none = await containerExec(e, optedOut.outcome?.containerId ?? '', ['git', 'config', '--global', '--get', 'user.name']);
      assert.equal(none.exitCode, 1, `no identity expected, got ${none.stdout}`);
    });

    it('a container user with a git identity of its own keeps it', async () => {
      const p = await fixture.project(where, {
        '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
        '.devcontainer/Dockerfile': 'FROM pks-test/debian:bookworm\nRUN git config --global user.name "Image Author"\n',
      });
      const spawned = await fixture.spawn(where, p.dir, ['--verbose']);
      assert.equal(spawned.code, 0, spawned.stderr);
      assert.match(spawned.stderr, /Git identity not copied: the container user has a git identity of its own/);
      const config = await containerExec(fixture.engine(where), spawned.outcome?.containerId ?? '', ['git', 'config', '--global', '--list']);
      assert.equal(config.stdout, 'user.name=Image Author\n', 'no author made of two people');
    });

    it('a failed postCreateCommand\'s output and exit code are kept: logs --hooks shows them, the hint names it', async () => {
      const config = { image: 'pks-test/busybox:latest', onCreateCommand: 'echo created-fine', postCreateCommand: 'echo to-stdout-1234; echo to-stderr-5678 >&2; exit 3' };
      const p = await fixture.project(where, { '.devcontainer/devcontainer.json': JSON.stringify(config) });
      const failed = await fixture.spawn(where, p.dir);
      assert.equal(failed.code, 1, failed.stderr);
      assert.equal(failed.outcome?.code, 'E_HOOK_FAILED');
      const hint = (failed.outcome as { hint?: string } | undefined)?.hint ?? '';
      const named = /See: pks devcontainer logs --hooks (\S+)/.exec(hint);
      assert.ok(named !== null, hint);
      const name = named[1] ?? '';
      if (where !== 'local') assert.match(hint, /logs --hooks \S+ --remote r1/);

      const hooks = await fixture.sandbox.run(['devcontainer', 'logs', '--hooks', name, ...remoteArgs(where)]);
      assert.equal(hooks.code, 0, hooks.stderr);
      assert.match(hooks.stdout, /=== onCreateCommand: echo created-fine — succeeded[^\n]*\ncreated-fine\n/);
      assert.match(hooks.stdout, /=== postCreateCommand: echo to-stdout-1234; [^\n]* — failed with exit code 3 [^\n]*\n/);
      assert.match(hooks.stdout, /to-stdout-1234/);
      assert.match(hooks.stdout, /to-stderr-5678/);

      const logs = await fixture.sandbox.run(['devcontainer', 'logs', name, ...remoteArgs(where)]);
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stderr, /--- lifecycle hooks[\s\S]*to-stderr-5678/, 'logs shows the hooks after the container\'s own output');
      assert.doesNotMatch(logs.stdout, /to-stdout-1234/, 'stdout stays the container\'s own output');
    });

    it('--prefer container backs up the configuration under PKS_HOME/backups, never in the project', async () => {
      const config = { image: 'pks-test/busybox:latest', containerEnv: { FROM: 'host' } };
      const original = JSON.stringify(config);
      const p = await fixture.project(where, { '.devcontainer/devcontainer.json': original });
      const first = await fixture.spawn(where, p.dir);
      assert.equal(first.code, 0, first.stderr);
      const inside = JSON.stringify({ ...config, containerEnv: { FROM: 'container' } });
      await containerExec(fixture.engine(where), first.outcome?.containerId ?? '', ['sh', '-c', 'printf "%s" "$1" > "$2"', 'w', inside, `/workspaces/${p.name}/.devcontainer/devcontainer.json`]);
      const kept = await fixture.spawn(where, p.dir, ['--prefer', 'container']);
      assert.equal(kept.code, 0, kept.stderr);
      assert.equal(await readFile(path.join(p.dir, '.devcontainer/devcontainer.json'), 'utf8'), inside);
      assert.deepEqual((await readdir(p.dir)).filter((name) => name.includes('pks-backup')), [], 'nothing added to the project');
      assert.deepEqual((await readdir(path.dirname(p.dir))).filter((name) => name.includes('pks-backup')), [], 'nor beside it');
      const backups = (await readdir(path.join(fixture.sandbox.pksHome, 'backups'))).filter((name) => name.startsWith(`${p.name}-`));
      assert.equal(backups.length, 1);
      const backup = path.join(fixture.sandbox.pksHome, 'backups', backups[0] ?? '');
      assert.equal(await readFile(path.join(backup, '.devcontainer', 'devcontainer.json'), 'utf8'), original);
      assert.ok(kept.stderr.includes(backup), `says where: ${kept.stderr}`);
      if (where !== 'local') return;

      // A .devcontainer.json at the project's top: its folder is the project, so only that file is backed up.
      const top = await fixture.project(where, { '.devcontainer.json': original, 'big.txt': 'not configuration\n' });
      const topFirst = await fixture.spawn(where, top.dir);
      assert.equal(topFirst.code, 0, topFirst.stderr);
      await containerExec(fixture.engine(where), topFirst.outcome?.containerId ?? '', ['sh', '-c', 'printf "%s" "$1" > "$2"', 'w', inside, `/workspaces/${top.name}/.devcontainer.json`]);
      const topKept = await fixture.spawn(where, top.dir, ['--prefer', 'container']);
      assert.equal(topKept.code, 0, topKept.stderr);
      const [topBackup] = (await readdir(path.join(fixture.sandbox.pksHome, 'backups'))).filter((name) => name.startsWith(`${top.name}-`));
      const backedUp = path.join(fixture.sandbox.pksHome, 'backups', topBackup ?? '');
      assert.deepEqual(await readdir(backedUp), ['.devcontainer.json'], 'the configuration only, not the whole project');
      assert.equal(await readFile(path.join(backedUp, '.devcontainer.json'), 'utf8'), original);
    });

    it('on reuse, says how many files differ from what was uploaded, and what to do', async () => {
      const p = await fixture.project(where, { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }), 'a.txt': 'a\n', 'b.txt': 'b\n', '.gitignore': 'ignored.log\n' });
      const first = await fixture.spawn(where, p.dir, ['--verbose']);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /Git identity not copied: git is not installed in the container\./, 'busybox has no git: skipped, said with --verbose');
      assert.doesNotMatch(first.stderr, /warning/i);
      const same = await fixture.spawn(where, p.dir);
      assert.equal(same.outcome?.action, 'reused', same.stderr);
      assert.doesNotMatch(same.stderr, /differ/, 'nothing changed: nothing said');

      await writeFile(path.join(p.dir, 'a.txt'), 'a changed here\n');
      await mkdir(path.join(p.dir, 'new'), { recursive: true });
      await writeFile(path.join(p.dir, 'new', 'c.txt'), 'c\n');
      await writeFile(path.join(p.dir, 'ignored.log'), 'git ignores me\n');
      const reused = await fixture.spawn(where, p.dir);
      assert.equal(reused.code, 0, reused.stderr);
      assert.equal(reused.outcome?.action, 'reused');
      assert.match(reused.stderr, /2 files here differ from the copy uploaded into \S+ at \S+ \(changed, added or removed on this machine since: a\.txt, new\/c\.txt\)/);
      assert.match(reused.stderr, /pks devcontainer rm \S+ (--remote r1 )?--volumes --force --yes/);
      assert.equal((await containerExec(fixture.engine(where), reused.outcome?.containerId ?? '', ['cat', `/workspaces/${p.name}/a.txt`])).stdout, 'a\n', 'the container\'s copy is left alone');

      // A rebuild keeps the volume and does not upload over it either: same report.
      const rebuilt = await fixture.sandbox.run(['devcontainer', 'rebuild', reused.outcome?.containerName ?? '', ...remoteArgs(where), '--format', 'json'], { timeoutMs: 180_000 });
      assert.equal(rebuilt.code, 0, rebuilt.stderr);
      assert.match(rebuilt.stderr, /not uploading over it[\s\S]*2 files here differ from the copy uploaded into/);
    });
  });
}
