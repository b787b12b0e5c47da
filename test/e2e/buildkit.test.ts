// BuildKit builds through the docker CLI, on the local engine and on r1 (over
// pks's own SSH connection): BuildKit-only Dockerfile syntax builds and
// spawns, the automatic platform arguments are set, build.options reach the
// build, a symlink out of the project is sent as a link (never followed) and
// the project folder is left as it was; a failing step reports its own
// output; a secret outside the project is refused; Ctrl-C ends the docker CLI;
// without a BuildKit-capable CLI the classic builder builds, with a warning.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { E2eFixture, remoteArgs } from '../helpers/e2e-fixture.js';
import { pksBin, SANDBOX_USER } from '../helpers/pks-cli.js';
import { containerExec, leftovers } from '../helpers/projects.js';
import { repoRoot } from '../helpers/test-env.js';
import type { Where } from '../helpers/projects.js';

const fixture = new E2eFixture(['local', 'r1', 'r2']);
let outside: string;
before(async () => {
  await fixture.setUp();
  outside = await mkdtemp(path.join(os.tmpdir(), 'pks-outside-'));
  await writeFile(path.join(outside, 'secret.txt'), 'OUTSIDE-SECRET\n');
});
after(async () => {
  await rm(outside, { recursive: true, force: true });
  await fixture.tearDown();
});

/** Every path below `dir` with its type, size and mtime: what a build must not change. */
async function snapshot(dir: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(path.join(dir, relative))).sort()) {
    const rel = path.join(relative, name);
    const info = await lstat(path.join(dir, rel));
    out.push(`${rel} ${info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'dir' : 'file'} ${info.size} ${info.mtimeMs} ${info.mode}`);
    if (info.isDirectory() && name !== '.git') out.push(...(await snapshot(dir, rel)));
  }
  return out;
}

function messageOf(outcome: object | undefined): string {
  return (outcome as { message?: string } | undefined)?.message ?? '';
}

const BUILDKIT_DOCKERFILE = [
  'FROM pks-test/busybox:latest',
  'ARG TARGETARCH',
  'ARG GREETING',
  'ARG FROM_OPTIONS',
  // A cache mount exists only in BuildKit; so does TARGETARCH's value.
  'RUN --mount=type=cache,target=/var/cache/pks-test echo "$TARGETARCH $GREETING $FROM_OPTIONS" > /built.txt && touch /var/cache/pks-test/used',
  'RUN --mount=type=secret,id=token cat /run/secrets/token > /token.txt',
  'COPY . /ctx/',
  '',
].join('\n');

for (const where of ['local', 'r1'] as const) {
  describe(`BuildKit builds on ${where}`, () => {
    it('RUN --mount, TARGETARCH, secrets and build.options (--build-arg, --platform) build and spawn; a symlink out of the project is not followed', async () => {
      const p = await fixture.project(where, {
        '.devcontainer/devcontainer.json': JSON.stringify({
          build: {
            dockerfile: 'Dockerfile',
            context: '..',
            args: { GREETING: 'hello' },
            options: ['--build-arg', 'FROM_OPTIONS=opt', '--platform', 'linux/amd64', '--secret', 'id=token,src=.devcontainer/token.txt', '--label', 'pks.test.user-label=kept'],
          },
        }),
        '.devcontainer/Dockerfile': BUILDKIT_DOCKERFILE,
        '.devcontainer/token.txt': 'TOKEN-INSIDE\n',
        'a.txt': 'a\n',
      });
      await symlink(path.join(outside, 'secret.txt'), path.join(p.dir, 'leak'));
      const before = await snapshot(p.dir);
      const result = await fixture.spawn(where, p.dir, ['--verbose']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /Building with BuildKit through \S*docker \S+/);
      assert.match(result.stderr, /built: \d+ steps \(\d+ cached\) in [\d.]+ s/);
      assert.doesNotMatch(result.stderr, /classic builder/);
      const id = result.outcome?.containerId ?? '';
      const engine = fixture.engine(where);
      const read = async (command: string): Promise<string> => (await containerExec(engine, id, ['sh', '-c', command])).stdout;
      assert.equal(await read('cat /built.txt'), 'amd64 hello opt\n');
      assert.equal(await read('cat /token.txt'), 'TOKEN-INSIDE\n');
      // Sent as a link: the path points outside, and the outside file's content never reached the image.
      assert.equal(await read('readlink /ctx/leak'), `${path.join(outside, 'secret.txt')}\n`);
      assert.equal(await read('cat /ctx/leak 2>/dev/null; grep -rl OUTSIDE-SECRET /ctx /built.txt /token.txt 2>/dev/null'), '');
      const image = await engine.inspectImage((await engine.inspectContainer(id)).Image);
      assert.equal(image.Config?.Labels?.['pks.managed'], 'true');
      assert.equal(image.Config?.Labels?.['pks.spawned.by'], SANDBOX_USER);
      assert.equal(image.Config?.Labels?.['pks.test.user-label'], 'kept');
      assert.deepEqual(await snapshot(p.dir), before, 'the build changed nothing in the project folder');
      // The docker CLI writes in its config folder (.buildNodeID): a private one, never the user's.
      assert.equal(await lstat(path.join(fixture.sandbox.home, '.docker')).catch(() => undefined), undefined, 'no ~/.docker made by the build');
      assert.equal(await readlink(path.join(p.dir, 'leak')), path.join(outside, 'secret.txt'));
    });

    it("a failing RUN step fails the spawn (exit 1, E_IMAGE_BUILD) with that step's output and nothing left behind", async () => {
      const marker = `marker-${randomBytes(4).toString('hex')}`;
      const p = await fixture.project(where, {
        '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
        '.devcontainer/Dockerfile': `FROM pks-test/busybox:latest\nRUN echo fine\nRUN echo ${marker}-out; echo ${marker}-err >&2; exit 7\n`,
      });
      const result = await fixture.spawn(where, p.dir);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.outcome?.code, 'E_IMAGE_BUILD', result.stderr);
      assert.match(messageOf(result.outcome), new RegExp(`failed at \\[[^\\]]*3/3\\] RUN echo ${marker}-out.*exit code: 7`));
      assert.match(messageOf(result.outcome), new RegExp(`\\| ${marker}-out`));
      assert.match(messageOf(result.outcome), new RegExp(`\\| ${marker}-err`));
      assert.match(result.stderr, new RegExp(`${marker}-out`));
      assert.deepEqual(await leftovers(fixture.engine(where), p.dir), { containers: [], volumes: [] });
    });
  });
}

describe('BuildKit builds: what is refused, interrupted, or falls back (local engine)', () => {
  const where: Where = 'local';

  it('a --secret read from outside the project is refused (E_BUILD_OPTION) before anything is built', async () => {
    const p = await fixture.project(where, {
      '.devcontainer/devcontainer.json': JSON.stringify({
        build: { dockerfile: 'Dockerfile', options: ['--secret', `id=token,src=${path.join(outside, 'secret.txt')}`] },
      }),
      '.devcontainer/Dockerfile': BUILDKIT_DOCKERFILE,
    });
    // Through a symlink inside the project too.
    await symlink(path.join(outside, 'secret.txt'), path.join(p.dir, 'inner-link'));
    const linked = await fixture.project(where, {
      '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile', options: ['--secret=id=token,src=inner-link'] } }),
      '.devcontainer/Dockerfile': BUILDKIT_DOCKERFILE,
    });
    await symlink(path.join(outside, 'secret.txt'), path.join(linked.dir, 'inner-link'));
    for (const dir of [p.dir, linked.dir]) {
      const result = await fixture.spawn(where, dir);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.outcome?.code, 'E_BUILD_OPTION', result.stderr);
      assert.match(messageOf(result.outcome), /--secret reads \S+, which is outside the project folder/);
      assert.doesNotMatch(result.stderr, /▸ Building/);
    }
  });

  it('Ctrl-C during a BuildKit step ends the docker CLI: exit 130, no container, no volume, no CLI left running', async () => {
    const tag = randomBytes(4).toString('hex');
    const p = await fixture.project(where, {
      '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
      '.devcontainer/Dockerfile': `FROM pks-test/busybox:latest\nRUN echo start-${tag} && sleep 30\n`,
    });
    const child = spawn(process.execPath, [pksBin, 'devcontainer', 'spawn', p.dir, '--verbose', '--format', 'json'], { env: fixture.sandbox.env, cwd: repoRoot, stdio: 'pipe' });
    child.stdin.end();
    let stderr = '';
    let interruptedAt = 0;
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (interruptedAt === 0 && stderr.includes(`start-${tag}`)) {
          interruptedAt = performance.now();
          child.kill('SIGINT');
        }
      });
      child.once('close', resolve);
    });
    assert.equal(code, 130, stderr);
    assert.ok(performance.now() - interruptedAt < 20_000, 'pks stopped well before the step would have ended');
    assert.deepEqual(await leftovers(fixture.engine(where), p.dir), { containers: [], volumes: [] });
    // No docker CLI building this project is left (its argv names the project folder).
    const running: string[] = [];
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes(p.dir) && cmdline.includes('build')) running.push(cmdline.replace(/\0/g, ' '));
    }
    assert.deepEqual(running, []);
  });

  it('without a BuildKit-capable docker CLI the classic builder builds, with one warning saying why and what does not work', async () => {
    const p = await fixture.project(where, {
      '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile', options: ['--build-arg', 'VALUE=classic'] } }),
      '.devcontainer/Dockerfile': 'FROM pks-test/busybox:latest\nARG VALUE\nRUN echo "$VALUE" > /built.txt\n',
    });
    // The docker 28 CLI of this machine has no buildx plugin: it cannot build with BuildKit.
    const result = await fixture.sandbox.run(['devcontainer', 'spawn', p.dir, '--format', 'json', ...remoteArgs(where)], {
      env: { PKS_DOCKER_CLI: '/usr/local/bin/docker' },
      timeoutMs: 180_000,
    });
    assert.equal(result.code, 0, result.stderr);
    const warnings = result.stderr.split('\n').filter((line) => /classic builder/.test(line));
    assert.equal(warnings.length, 1, result.stderr);
    assert.match(warnings[0] ?? '', /not BuildKit: no docker CLI here can build with BuildKit: \/usr\/local\/bin\/docker \(\S+\) has no buildx plugin\. RUN --mount, COPY --link.*TARGETARCH/);
    const id = (JSON.parse(result.stdout) as { containerId: string }).containerId;
    assert.equal((await containerExec(fixture.engine(where), id, ['cat', '/built.txt'])).stdout, 'classic\n');
  });
});
