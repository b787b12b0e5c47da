// `pks devcontainer spawn` as a user runs it, on the local engine and on both
// remote hosts, checked through the engines directly.
import assert from 'node:assert/strict';
import { execFile, spawn as spawnProcess } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { EngineClient } from '../../src/engine/index.js';
import { E2eFixture } from '../helpers/e2e-fixture.js';
import { assertErrorCode, lastError } from '../helpers/error-codes.js';
import { STACK_TRACE, pksBin, type Sandbox } from '../helpers/pks-cli.js';
import { poll } from '../helpers/wait.js';
import { BUILD_WITH_FEATURE, containerExec, containerFileDigests, gitFileDigests, leftovers, sshUserIds, type Project, type Where } from '../helpers/projects.js';

const fixture = new E2eFixture(['local', 'r1', 'r2']);
let sandbox: Sandbox;
before(async () => {
  await fixture.setUp();
  sandbox = fixture.sandbox;
});
after(() => fixture.tearDown());
const engine = (where: Where): EngineClient => fixture.engine(where);
const project = (where: Where, files: Record<string, string>, options: { name?: string } = {}): Promise<Project> => fixture.project(where, files, options);
const spawn = (where: Where, dir: string, extra: string[] = []) => fixture.spawn(where, dir, extra);

const HOOKS = {
  onCreateCommand: 'echo onCreate >> /tmp/hooks.log',
  updateContentCommand: ['sh', '-c', 'echo updateContent >> /tmp/hooks.log'],
  postCreateCommand: { a: 'echo postCreate-a >> /tmp/post.log', b: 'echo postCreate-b >> /tmp/post.log' },
  postStartCommand: 'echo postStart >> /tmp/hooks.log',
};

for (const where of ['local', 'r1', 'r2'] as const) {
  describe(`spawn on ${where === 'local' ? 'the local engine' : `remote host ${where}`}`, () => {
    it('uploads the git-aware file set byte for byte, owned by the remote user, and runs the hooks in order once', async () => {
      const p = await project(where, {
        '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/debian:bookworm', remoteUser: 'daemon', ...HOOKS }),
        '.gitignore': 'secret.env\nbuild/\n',
        'src/main.sh': '#!/bin/sh\necho main\n',
        'README.md': '# readme\n',
        'secret.env': 'TOKEN=1\n',
        'build/out.bin': 'x'.repeat(1000),
      });
      const first = await spawn(where, p.dir);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.outcome?.outcome, 'success');
      assert.equal(first.outcome?.action, 'created');
      // Without a terminal, the upload still ends with one summary line.
      assert.match(first.stderr, /▸ Uploading \d+ files to \S+\n {2}sent \d+(\.\d)? (B|KiB|MiB) \(\d+ files\) in \d+\.\d s, \S+ \S+\/s\n/);
      assert.equal(first.outcome?.remoteUser, 'daemon');
      assert.equal(first.outcome?.remoteWorkspaceFolder, `/workspaces/${p.name}`);
      assert.equal(first.outcome?.remoteHost, where);
      const id = first.outcome?.containerId ?? '';
      const e = engine(where);

      const expected = await gitFileDigests(p.dir);
      assert.ok(!('secret.env' in expected) && 'src/main.sh' in expected);
      assert.deepEqual(await containerFileDigests(e, id, `/workspaces/${p.name}`), expected);
      const stat = await containerExec(e, id, ['stat', '-c', '%u:%g %n', `/workspaces/${p.name}`, `/workspaces/${p.name}/src`, `/workspaces/${p.name}/src/main.sh`]);
      // daemon is 1:1 in the image; on a remote host updateRemoteUserUID gives it the SSH user's ids.
      const ids = where === 'local' ? { uid: 1, gid: 1 } : await sshUserIds(fixture.env, where);
      const owner = `${ids.uid}:${ids.gid}`;
      assert.deepEqual(stat.stdout.trim().split('\n').map((line) => line.split(' ')[0]), [owner, owner, owner], stat.stdout);
      assert.equal((await containerExec(e, id, ['test', '-d', `/workspaces/${p.name}/.git`])).exitCode, 0, 'the repository comes along');

      const log = await containerExec(e, id, ['cat', '/tmp/hooks.log']);
      assert.equal(log.stdout, 'onCreate\nupdateContent\npostStart\n');
      const post = await containerExec(e, id, ['sort', '/tmp/post.log']);
      assert.equal(post.stdout, 'postCreate-a\npostCreate-b\n', 'object-form commands all ran');
      const whoami = await containerExec(e, id, ['sh', '-c', 'ls -ln /tmp/post.log'], 'root');
      assert.match(whoami.stdout, new RegExp(`^-\\S+\\s+\\d+\\s+${ids.uid}\\s+${ids.gid}\\s`), 'hooks run as the remote user');

      // Reuse: same container, no hook runs again.
      const second = await spawn(where, p.dir);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.outcome?.action, 'reused');
      assert.equal(second.outcome?.containerId, id);

      // After a stop, spawn starts it again: postStart reruns, create hooks do not.
      await e.requestEmpty({ method: 'POST', path: `/containers/${id}/stop`, query: { t: 1 } });
      const third = await spawn(where, p.dir);
      assert.equal(third.code, 0, third.stderr);
      assert.equal(third.outcome?.action, 'started');
      assert.equal((await containerExec(e, id, ['cat', '/tmp/hooks.log'])).stdout, 'onCreate\nupdateContent\npostStart\npostStart\n');
    });

    it('builds from a Dockerfile and installs a local Feature', async () => {
      const p = await project(where, BUILD_WITH_FEATURE);
      const result = await spawn(where, p.dir);
      assert.equal(result.code, 0, result.stderr);
      const id = result.outcome?.containerId ?? '';
      assert.equal((await containerExec(engine(where), id, ['cat', '/tmp/result'])).stdout, 'built\nfeature\n');
      assert.equal((await containerExec(engine(where), id, ['sh', '-c', 'echo $HELLO_FEATURE'])).stdout, '1\n');
    });

    it('rebuilds on a config edit and keeps the files created in the workspace', async () => {
      const p = await project(where, {
        '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', containerEnv: { STAGE: 'one' } }),
        'app.txt': 'v1\n',
      });
      const first = await spawn(where, p.dir);
      assert.equal(first.code, 0, first.stderr);
      const e = engine(where);
      const oldId = first.outcome?.containerId ?? '';
      await containerExec(e, oldId, ['sh', '-c', `echo work-in-progress > /workspaces/${p.name}/wip.txt`]);

      await writeFile(path.join(p.dir, '.devcontainer/devcontainer.json'), JSON.stringify({ image: 'pks-test/busybox:latest', containerEnv: { STAGE: 'two' } }));
      const kept = await spawn(where, p.dir, ['--no-rebuild']);
      assert.equal(kept.code, 0, kept.stderr);
      assert.equal(kept.outcome?.action, 'reused');
      assert.match(kept.stderr, /\.devcontainer\/devcontainer\.json changed since .* reusing it anyway/);

      const rebuilt = await spawn(where, p.dir);
      assert.equal(rebuilt.code, 0, rebuilt.stderr);
      assert.equal(rebuilt.outcome?.action, 'rebuilt');
      assert.match(rebuilt.stderr, /\.devcontainer\/devcontainer\.json changed since .* rebuilding/);
      const newId = rebuilt.outcome?.containerId ?? '';
      assert.notEqual(newId, oldId);
      assert.equal(rebuilt.outcome?.volumeName, first.outcome?.volumeName);
      assert.equal((await containerExec(e, newId, ['cat', `/workspaces/${p.name}/wip.txt`])).stdout, 'work-in-progress\n');
      assert.equal((await containerExec(e, newId, ['sh', '-c', 'echo $STAGE'])).stdout, 'two\n');
      assert.deepEqual((await leftovers(e, p.dir)).containers, [newId], 'the old container is gone');
      // The volume's copy of the configuration follows this machine's (it
      // was not edited inside), so the next spawn sees nothing to ask about.
      const inVolume = await containerExec(e, newId, ['cat', `/workspaces/${p.name}/.devcontainer/devcontainer.json`]);
      assert.equal(inVolume.stdout, await readFile(path.join(p.dir, '.devcontainer/devcontainer.json'), 'utf8'));
      const again = await spawn(where, p.dir);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.outcome?.action, 'reused');
      assert.equal(again.outcome?.containerId, newId);
    });
  });
}

describe('spawn: image sources and failures (local engine)', () => {
  it('a failing postCreateCommand exits 1, names the hook, and keeps the container', async () => {
    const p = await project('local', {
      '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', postCreateCommand: 'echo about to fail; exit 3' }),
    });
    const result = await spawn('local', p.dir);
    assert.equal(result.code, 1);
    assert.equal(result.outcome?.outcome, 'error');
    assert.equal(result.outcome?.code, 'E_HOOK_FAILED', result.stderr);
    assert.match(result.stderr, /pks devcontainer logs pks-/);
    assert.doesNotMatch(result.stderr, STACK_TRACE);
    assert.equal((await leftovers(engine('local'), p.dir)).containers.length, 1, 'kept for inspection');
  });

  it('a container whose own command exits: spawn says so, exec says to start it', async () => {
    // debian's command is bash, which exits at once without a terminal.
    const p = await project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/debian:bookworm', overrideCommand: false, postCreateCommand: 'true' }) });
    const result = await spawn('local', p.dir);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.outcome?.code, 'E_CONTAINER_EXITED', result.stderr);
    assert.match(result.stderr, /"overrideCommand": false/);
    assert.doesNotMatch(result.stderr, STACK_TRACE);
    assert.equal((await leftovers(engine('local'), p.dir)).containers.length, 1);
    const exec = await sandbox.run(['devcontainer', 'exec', '--log-format', 'json', p.name, '--', 'true']);
    assertErrorCode(exec, 'E_CONTAINER_STOPPED', 1);
    assert.match(lastError(exec).hint ?? '', /^Start it first: pks devcontainer start /);
  });

  it('overrideCommand false with a Feature entrypoint: the entrypoint runs, then the image\'s own command', async () => {
    const p = await project('local', {
      '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' }, overrideCommand: false, features: { './daemon': {} } }),
      '.devcontainer/Dockerfile': [
        'FROM pks-test/busybox:latest',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        `CMD ["echo image >> /tmp/order; trap 'exit 0' TERM; while sleep 1; do :; done"]`,
        '',
      ].join('\n'),
      '.devcontainer/daemon/devcontainer-feature.json': JSON.stringify({ id: 'daemon', version: '1.0.0', entrypoint: '/usr/local/share/pks-daemon-init.sh' }),
      '.devcontainer/daemon/install.sh': '#!/bin/sh\nset -e\nmkdir -p /usr/local/share\nprintf \'#!/bin/sh\\necho feature >> /tmp/order\\n\' > /usr/local/share/pks-daemon-init.sh\nchmod +x /usr/local/share/pks-daemon-init.sh\n',
    });
    const result = await spawn('local', p.dir);
    assert.equal(result.code, 0, result.stderr);
    const id = result.outcome?.containerId ?? '';
    const read = async (): Promise<string> => (await containerExec(engine('local'), id, ['cat', '/tmp/order'])).stdout;
    await poll(async () => (await read()).includes('image'), { timeoutMs: 10_000 });
    assert.equal(await read(), 'feature\nimage\n', 'the Feature\'s entrypoint first, then the image\'s ENTRYPOINT and CMD');
    assert.doesNotMatch(result.stderr, /entrypoints are not run/);
  });

  it('a malformed devcontainer.json fails before anything is created', async () => {
    const p = await project('local', { '.devcontainer/devcontainer.json': '{\n  "image": "pks-test/busybox:latest",\n  "containerEnv": { "A": }\n}\n' });
    const result = await spawn('local', p.dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /devcontainer\.json:3:\d+/);
    assert.doesNotMatch(result.stderr, STACK_TRACE);
    assert.deepEqual(await leftovers(engine('local'), p.dir), { containers: [], volumes: [] });
  });

  it('two concurrent spawns of one project end with one container', async () => {
    const p = await project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', postCreateCommand: 'sleep 1' }) });
    const [a, b] = await Promise.all([spawn('local', p.dir), spawn('local', p.dir)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(a.outcome?.containerId, b.outcome?.containerId);
    assert.equal((await leftovers(engine('local'), p.dir)).containers.length, 1);
  });

  it('a hostile project name arrives intact and runs nothing', async () => {
    const name = `it's $(touch pks-pwned) "q" ü; touch pks-pwned2`;
    const p = await project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }), 'x.txt': 'x\n' }, { name });
    const result = await spawn('local', p.dir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.outcome?.remoteWorkspaceFolder, `/workspaces/${name}`);
    const id = result.outcome?.containerId ?? '';
    assert.equal((await containerExec(engine('local'), id, ['cat', `/workspaces/${name}/x.txt`])).stdout, 'x\n');
    const found = await containerExec(engine('local'), id, ['find', '/', '-xdev', '-name', 'pks-pwned*']);
    assert.equal(found.stdout, '', 'nothing ran inside the container');
    const local = await promisify(execFile)('find', [path.dirname(p.dir), process.cwd(), '-maxdepth', '2', '-name', 'pks-pwned*']);
    assert.equal(local.stdout, '', 'nothing ran on this machine');
    assert.match(result.outcome?.containerName ?? '', /^pks-pks-e2e-it-s-touch-pks-pwned-q-u-touch-pks-pwned-[0-9a-f]{8}$/);
  });
});

describe('spawn: interruption and drift inside the container (local engine)', () => {
  it('Ctrl-C during the upload removes what the run created; running it again converges', async () => {
    const p = await project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }), 'small.txt': 'ok\n' });
    // A large sparse file makes the upload last long enough to interrupt.
    await promisify(execFile)('truncate', ['-s', '3G', path.join(p.dir, 'big.bin')]);
    const child = spawnProcess(process.execPath, [pksBin, 'devcontainer', 'spawn', p.dir], { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/▸ Uploading/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const code = await exited;
    assert.equal(code, 130, stderr);
    assert.match(stderr, /Interrupted/);
    assert.match(stderr, /Cleaned up what this run created: container [0-9a-f]{12}, volume pks-/);
    assert.doesNotMatch(stderr, STACK_TRACE);
    assert.deepEqual(await leftovers(engine('local'), p.dir), { containers: [], volumes: [] });

    await rm(path.join(p.dir, 'big.bin'));
    const again = await spawn('local', p.dir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.outcome?.action, 'created');
  });

  it('config edited inside the container: refuses without a TTY, --prefer decides', async () => {
    const config = { image: 'pks-test/busybox:latest', containerEnv: { FROM: 'host' } };
    const p = await project('local', { '.devcontainer/devcontainer.json': JSON.stringify(config) });
    const first = await spawn('local', p.dir);
    assert.equal(first.code, 0, first.stderr);
    const e = engine('local');
    const inside = JSON.stringify({ ...config, containerEnv: { FROM: 'container' } });
    await containerExec(e, first.outcome?.containerId ?? '', ['sh', '-c', 'printf "%s" "$1" > "$2"', 'w', inside, `/workspaces/${p.name}/.devcontainer/devcontainer.json`]);

    const refused = await spawn('local', p.dir);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /edited inside the container .*: \.devcontainer\/devcontainer\.json/);
    assert.match(refused.stderr, /--prefer container[\s\S]*--prefer host/);

    const kept = await spawn('local', p.dir, ['--prefer', 'container']);
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal(kept.outcome?.action, 'rebuilt', 'the kept edit is a config change');
    assert.equal(await readFile(path.join(p.dir, '.devcontainer/devcontainer.json'), 'utf8'), inside);
    assert.deepEqual((await readdir(p.dir)).filter((name) => name.includes('pks-backup')), [], 'no backup inside the project');
    const backups = (await readdir(path.join(sandbox.pksHome, 'backups'))).filter((name) => name.startsWith(`${p.name}-`));
    assert.equal(backups.length, 1);
    assert.equal((await containerExec(e, kept.outcome?.containerId ?? '', ['sh', '-c', 'echo $FROM'])).stdout, 'container\n');
    const settled = await spawn('local', p.dir);
    assert.equal(settled.code, 0, settled.stderr);
    assert.equal(settled.outcome?.action, 'reused', 'both sides agree now');

    // The same question from rebuild, answered the other way.
    const again = JSON.stringify({ ...config, containerEnv: { FROM: 'inside again' } });
    await containerExec(e, settled.outcome?.containerId ?? '', ['sh', '-c', 'printf "%s" "$1" > "$2"', 'w', again, `/workspaces/${p.name}/.devcontainer/devcontainer.json`]);
    const refusedRebuild = await sandbox.run(['devcontainer', 'rebuild', p.name]);
    assert.equal(refusedRebuild.code, 2, refusedRebuild.stderr);
    assert.match(refusedRebuild.stderr, /--prefer host/);
    const discarded = await sandbox.run(['devcontainer', 'rebuild', p.name, '--prefer', 'host', '--format', 'json']);
    assert.equal(discarded.code, 0, discarded.stderr);
    assert.match(discarded.stderr, /Discarded the container's edits to \.devcontainer\/devcontainer\.json/);
    assert.doesNotMatch(discarded.stderr, /--rebuild/, 'rebuild does not name a flag the user did not pass');
    const rebuiltId = (JSON.parse(discarded.stdout) as { containerId: string }).containerId;
    assert.equal((await containerExec(e, rebuiltId, ['cat', `/workspaces/${p.name}/.devcontainer/devcontainer.json`])).stdout, inside);
    assert.equal((await spawn('local', p.dir)).outcome?.action, 'reused');
  });

  it('a volume kept by rm takes the new configuration on the next spawn, without asking', async () => {
    const p = await project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', containerEnv: { V: '1' } }) });
    const first = await spawn('local', p.dir);
    assert.equal(first.code, 0, first.stderr);
    const removed = await sandbox.run(['devcontainer', 'rm', p.name, '--force', '--yes']);
    assert.equal(removed.code, 0, removed.stderr);
    const edited = JSON.stringify({ image: 'pks-test/busybox:latest', containerEnv: { V: '2' } });
    await writeFile(path.join(p.dir, '.devcontainer/devcontainer.json'), edited);
    const second = await spawn('local', p.dir);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /not uploading over it/);
    assert.match(second.stderr, /Updated the volume's \.devcontainer\/devcontainer\.json/);
    const id = second.outcome?.containerId ?? '';
    assert.equal((await containerExec(engine('local'), id, ['cat', `/workspaces/${p.name}/.devcontainer/devcontainer.json`])).stdout, edited);
    const third = await spawn('local', p.dir, ['--include-ignored']);
    assert.equal(third.code, 0, third.stderr);
    assert.equal(third.outcome?.action, 'reused');
    assert.match(third.stderr, /--include-ignored applies only when a container is created; .* is reused as it is/);
  });

  it('several configurations: --config chooses once, later spawns use the one the container was made from', async () => {
    const p = await project('local', {
      '.devcontainer/alpha/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', containerEnv: { WHICH: 'alpha' } }),
      '.devcontainer/beta/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', containerEnv: { WHICH: 'beta' } }),
    });
    const ambiguous = await spawn('local', p.dir);
    assert.equal(ambiguous.code, 2, ambiguous.stderr);
    assert.match(ambiguous.stderr, /--config/);
    const first = await spawn('local', p.dir, ['--config', path.join(p.dir, '.devcontainer/beta/devcontainer.json')]);
    assert.equal(first.code, 0, first.stderr);
    const again = await spawn('local', p.dir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.outcome?.action, 'reused');
    assert.match(again.stderr, /Using \S*\.devcontainer\/beta\/devcontainer\.json, which .* was created from/);
    const other = await spawn('local', p.dir, ['--config', path.join(p.dir, '.devcontainer/alpha/devcontainer.json')]);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stderr, /was created from \.devcontainer\/beta\/devcontainer\.json, not \.devcontainer\/alpha\/devcontainer\.json: rebuilding it/);
    assert.equal((await containerExec(engine('local'), other.outcome?.containerId ?? '', ['sh', '-c', 'echo $WHICH'])).stdout, 'alpha\n');
  });

  it('a rebuild whose image fails keeps the container it was to replace', async () => {
    const p = await project('local', {
      '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
      '.devcontainer/Dockerfile': 'FROM pks-test/busybox:latest\n',
    });
    const first = await spawn('local', p.dir);
    assert.equal(first.code, 0, first.stderr);
    await writeFile(path.join(p.dir, '.devcontainer/Dockerfile'), 'FROM pks-test/busybox:latest\nRUN exit 5\n');
    const broken = await spawn('local', p.dir);
    assert.equal(broken.code, 1, broken.stderr);
    assert.equal(broken.outcome?.code, 'E_IMAGE_BUILD', broken.stderr);
    assert.doesNotMatch(broken.stderr, /Removing the old container/);
    const { containers } = await leftovers(engine('local'), p.dir);
    assert.deepEqual(containers, [first.outcome?.containerId]);
    const state = await engine('local').request({ path: `/containers/${first.outcome?.containerId ?? ''}/json` }, z.looseObject({ State: z.looseObject({ Running: z.boolean() }) }));
    assert.equal(state.State.Running, true);
  });
});

describe('spawn: the files that go (local engine)', () => {
  const git = (dir: string, ...args: string[]) => promisify(execFile)('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args]);

  it('a usable repository (fresh, and after git gc emptied refs/), folder modes and empty folders', async () => {
    const fresh = await project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/debian:bookworm' }), 'a.txt': 'a\n' });
    const gcd = await project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/debian:bookworm' }), 'a.txt': 'a\n', 'private/key.txt': 'k\n' });
    await git(gcd.dir, 'add', '-A');
    await git(gcd.dir, 'commit', '-qm', 'one');
    await git(gcd.dir, 'gc', '-q');
    await chmod(path.join(gcd.dir, 'private'), 0o700);
    for (const p of [fresh, gcd]) {
      const result = await spawn('local', p.dir);
      assert.equal(result.code, 0, result.stderr);
      const id = result.outcome?.containerId ?? '';
      const status = await containerExec(engine('local'), id, ['git', '-C', `/workspaces/${p.name}`, 'status', '--short']);
      assert.equal(status.exitCode, 0, status.stderr);
    }
    const id = (await spawn('local', gcd.dir)).outcome?.containerId ?? '';
    assert.equal((await containerExec(engine('local'), id, ['stat', '-c', '%a', `/workspaces/${gcd.name}/private`])).stdout, '700\n');
    assert.equal((await containerExec(engine('local'), id, ['git', '-C', `/workspaces/${gcd.name}`, 'log', '--format=%s'])).stdout, 'one\n');
  });

  it('a submodule and a nested repository carry what their own git carries', async () => {
    const lib = await project('local', { '.gitignore': 'node_modules/\n', 'index.js': 'module.exports = 1;\n' });
    await git(lib.dir, 'add', '-A');
    await git(lib.dir, 'commit', '-qm', 'lib');
    const p = await project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/debian:bookworm' }), 'main.txt': 'm\n' });
    await git(p.dir, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', lib.dir, 'vendor/lib');
    await git(p.dir, 'commit', '-qm', 'with lib');
    await mkdir(path.join(p.dir, 'vendor/lib/node_modules/pkg'), { recursive: true });
    await writeFile(path.join(p.dir, 'vendor/lib/node_modules/pkg/index.js'), 'ignored by the submodule\n');
    await mkdir(path.join(p.dir, 'nested'));
    await git(path.join(p.dir, 'nested'), 'init', '-q');
    await writeFile(path.join(p.dir, 'nested/.gitignore'), 'build/\n');
    await writeFile(path.join(p.dir, 'nested/src.c'), 'int x;\n');
    await mkdir(path.join(p.dir, 'nested/build'));
    await writeFile(path.join(p.dir, 'nested/build/out.o'), 'ignored by the nested repository\n');
    const result = await spawn('local', p.dir);
    assert.equal(result.code, 0, result.stderr);
    const id = result.outcome?.containerId ?? '';
    const ls = async (file: string) => (await containerExec(engine('local'), id, ['test', '-e', `/workspaces/${p.name}/${file}`])).exitCode === 0;
    assert.ok(await ls('vendor/lib/index.js'));
    assert.ok(await ls('nested/src.c'));
    assert.equal(await ls('vendor/lib/node_modules'), false, 'the submodule\'s .gitignore applies');
    assert.equal(await ls('nested/build'), false, 'the nested repository\'s .gitignore applies');
    const status = await containerExec(engine('local'), id, ['git', '-C', `/workspaces/${p.name}/nested`, 'status', '--short']);
    assert.equal(status.exitCode, 0, status.stderr);
  });

  it('git refusing the repository stops the spawn instead of sending ignored files', async () => {
    const p = await project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }), '.gitignore': '.env\n', '.env': 'SECRET=1\n' });
    // Owned by another user: git refuses it ("dubious ownership").
    await promisify(execFile)('chown', ['-R', '4321:4321', p.dir]);
    const result = await spawn('local', p.dir);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.outcome?.code, 'E_GIT_FAILED', result.stderr);
    assert.match(result.stderr, /safe\.directory/);
    assert.deepEqual(await leftovers(engine('local'), p.dir), { containers: [], volumes: [] });
  });

  it('a symlinked devcontainer.json, links above the workspace, and appPort', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const p = await project('local', {
      'tools/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', appPort: [port] }),
      'a.txt': 'a\n',
    });
    await mkdir(path.join(p.dir, '.devcontainer'));
    await symlink('../tools/devcontainer.json', path.join(p.dir, '.devcontainer/devcontainer.json'));
    await symlink('../../etc/hostname', path.join(p.dir, 'outside'));
    const first = await spawn('local', p.dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /1 symlink points above \/workspaces and was left out \(the engine refuses them\): outside -> \.\.\/\.\.\/etc\/hostname/);
    const again = await spawn('local', p.dir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.outcome?.action, 'reused');
    const bindings = await engine('local').request({ path: `/containers/${first.outcome?.containerId ?? ''}/json` }, z.looseObject({ HostConfig: z.looseObject({ PortBindings: z.record(z.string(), z.array(z.looseObject({ HostIp: z.string(), HostPort: z.string() }))) }) }));
    assert.deepEqual(bindings.HostConfig.PortBindings[`${port}/tcp`], [{ HostIp: '127.0.0.1', HostPort: String(port) }]);
  });
});

describe('output cut short (local engine)', () => {
  it('a reader that goes away ends pks quietly, as SIGPIPE would', async () => {
    const p = await project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }) });
    assert.equal((await spawn('local', p.dir)).code, 0);
    const script = `"${process.execPath}" "${pksBin}" devcontainer exec "${p.name}" -- seq 1 300000 | head -1; echo "pks=\${PIPESTATUS[0]}" >&2`;
    const result = await promisify(execFile)('bash', ['-c', script], { env: sandbox.env });
    assert.equal(result.stdout, '1\n');
    assert.doesNotMatch(result.stderr, STACK_TRACE);
    assert.match(result.stderr, /^pks=141$/m);
  });
});

describe('spawn: where the workspace goes (local engine)', () => {
  const cases: Array<{ name: string; config: Record<string, unknown>; root: (name: string) => string; folder: (name: string) => string }> = [
    { name: 'default', config: {}, root: (n) => `/workspaces/${n}`, folder: (n) => `/workspaces/${n}` },
    { name: 'a folder of the project', config: { workspaceFolder: '/workspaces/${localWorkspaceFolderBasename}/pkg' }, root: (n) => `/workspaces/${n}`, folder: (n) => `/workspaces/${n}/pkg` },
    { name: 'workspaceMount target', config: { workspaceMount: 'source=${localWorkspaceFolder},target=/workspace,type=bind', workspaceFolder: '/workspace' }, root: () => '/workspace', folder: () => '/workspace' },
    { name: 'workspaceFolder outside /workspaces', config: { workspaceFolder: '/src/app' }, root: () => '/src/app', folder: () => '/src/app' },
  ];
  for (const c of cases) {
    it(`${c.name}: the project's files are where tools open`, async () => {
      const p = await project('local', {
        '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/debian:bookworm', remoteUser: 'daemon', ...c.config }),
        'pkg/index.js': 'module.exports = 1;\n',
      });
      const result = await spawn('local', p.dir);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.outcome?.remoteWorkspaceFolder, c.folder(p.name));
      const id = result.outcome?.containerId ?? '';
      const e = engine('local');
      assert.deepEqual(await containerFileDigests(e, id, c.root(p.name)), await gitFileDigests(p.dir));
      assert.equal((await containerExec(e, id, ['stat', '-c', '%u:%g', c.root(p.name)])).stdout, '1:1\n', 'the root is the remote user\'s');
      const pwd = await sandbox.run(['devcontainer', 'exec', p.name, '--', 'pwd']);
      assert.equal(pwd.stdout, `${c.folder(p.name)}\n`);
      // Files made there survive a rebuild.
      await containerExec(e, id, ['sh', '-c', `echo kept > ${c.root(p.name)}/wip.txt`]);
      const rebuilt = await spawn('local', p.dir, ['--rebuild']);
      assert.equal(rebuilt.code, 0, rebuilt.stderr);
      assert.equal((await containerExec(e, rebuilt.outcome?.containerId ?? '', ['cat', `${c.root(p.name)}/wip.txt`])).stdout, 'kept\n');
      assert.equal((await spawn('local', p.dir)).outcome?.action, 'reused');
    });
  }

  it('a relative workspaceFolder is refused before anything is created', async () => {
    const p = await project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', workspaceFolder: 'src' }) });
    const result = await spawn('local', p.dir);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.outcome?.code, 'E_CONFIG_INVALID', result.stderr);
    assert.deepEqual(await leftovers(engine('local'), p.dir), { containers: [], volumes: [] });
  });
});
