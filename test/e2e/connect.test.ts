// `pks devcontainer connect`, `shell` and `rebuild`, as a user runs them, on
// the local engine and a remote host.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodeContainerUri } from '../../src/core/containers/vscode-uri.js';
import type { EngineClient } from '../../src/engine/index.js';
import { E2eFixture, remoteArgs } from '../helpers/e2e-fixture.js';
import { assertErrorCode, lastError } from '../helpers/error-codes.js';
import type { Sandbox } from '../helpers/pks-cli.js';
import { containerExec, type Project, type Where } from '../helpers/projects.js';
import type { TestEnv } from '../helpers/test-env.js';
import { poll } from '../helpers/wait.js';

const exec = promisify(execFile);
const fixture = new E2eFixture(['local', 'r1']);
let env: TestEnv;
let sandbox: Sandbox;
before(async () => {
  await fixture.setUp();
  env = fixture.env;
  sandbox = fixture.sandbox;
});
after(() => fixture.tearDown());
const engine = (where: Where): EngineClient => fixture.engine(where);

async function spawnProject(where: Where, config: Record<string, unknown>): Promise<{ project: Project; containerId: string; containerName: string }> {
  const project = await fixture.project(where, { '.devcontainer/devcontainer.json': JSON.stringify(config), 'file.txt': 'hello\n' });
  const result = await fixture.spawn(where, project.dir);
  assert.equal(result.code, 0, result.stderr);
  return { project, containerId: result.outcome?.containerId ?? '', containerName: result.outcome?.containerName ?? '' };
}

for (const where of ['local', 'r1'] as const) {
  describe(`connect on ${where}`, () => {
    it('--print-uri prints a URI that decodes to the container and its workspace', async () => {
      const { project, containerName } = await spawnProject(where, { image: 'pks-test/busybox:latest' });
      const result = await sandbox.run(['devcontainer', 'connect', project.name, '--print-uri', ...remoteArgs(where)]);
      assert.equal(result.code, 0, result.stderr);
      const decoded = decodeContainerUri(result.stdout.trim());
      assert.equal(decoded.containerName, `/${containerName}`);
      assert.equal(decoded.workspaceFolder, `/workspaces/${project.name}`);
      if (where === 'local') {
        assert.equal(decoded.sshHostAlias, undefined);
      } else {
        assert.equal(decoded.sshHostAlias, 'pks-r1');
        // The alias resolves, through pks's own file, to the right user, port and key.
        const resolved = await exec('ssh', ['-G', '-F', path.join(sandbox.pksHome, 'ssh_config'), 'pks-r1'], { env: { ...process.env, HOME: sandbox.home } });
        assert.match(resolved.stdout, new RegExp(`^hostname ${env.r1.host.replace(/\./g, '\\.')}$`, 'm'));
        assert.match(resolved.stdout, new RegExp(`^user ${env.r1.user}$`, 'm'));
        assert.match(resolved.stdout, /^port 22$/m);
        assert.match(resolved.stdout, new RegExp(`^identityfile ${env.r1.key.replace(/[.]/g, '\\.')}$`, 'm'));
        // ...and really logs in there.
        const login = await exec('ssh', ['-F', path.join(sandbox.pksHome, 'ssh_config'), '-o', 'BatchMode=yes', 'pks-r1', 'id', '-un'], { env: { ...process.env, HOME: sandbox.home } });
        assert.equal(login.stdout.trim(), env.r1.user);
      }
    });
  });
}

describe('connect: consent, stopped containers, the editor', () => {
  it('adds the Include line to ~/.ssh/config only with consent, and only once', async () => {
    const { project } = await spawnProject('r1', { image: 'pks-test/busybox:latest' });
    const userConfig = path.join(sandbox.home, '.ssh', 'config');
    await writeFile(userConfig, 'Host mine\n  User me\n');
    const refused = await sandbox.run(['devcontainer', 'connect', project.name, '--remote', 'r1', '--no-launch']);
    assert.equal(refused.code, 0, refused.stderr);
    assert.match(refused.stderr, /will not find the SSH alias pks-r1/);
    assert.equal(await readFile(userConfig, 'utf8'), 'Host mine\n  User me\n', 'untouched without consent');
    for (let i = 0; i < 2; i += 1) {
      const agreed = await sandbox.run(['devcontainer', 'connect', project.name, '--remote', 'r1', '--no-launch', '--yes']);
      assert.equal(agreed.code, 0, agreed.stderr);
    }
    const text = await readFile(userConfig, 'utf8');
    assert.equal(text.match(/^Include /gm)?.length, 1);
    assert.ok(text.endsWith('Host mine\n  User me\n'));
    assert.match(text, new RegExp(`^Include ${path.join(sandbox.pksHome, 'ssh_config').replace(/[.]/g, '\\.')}$`, 'm'));
  });

  it('a stopped container needs --restart-if-stopped without a TTY; with it, it starts and postStart runs', async () => {
    const { project, containerId } = await spawnProject('local', { image: 'pks-test/busybox:latest', postStartCommand: 'echo started >> /tmp/starts' });
    await engine('local').requestEmpty({ method: 'POST', path: `/containers/${containerId}/stop`, query: { t: 1 } });
    const refused = await sandbox.run(['devcontainer', 'connect', project.name, '--no-launch', '--log-format', 'json']);
    assertErrorCode(refused, 'E_CONTAINER_STOPPED', 1);
    assert.match(lastError(refused).hint ?? '', /--restart-if-stopped/);
    const started = await sandbox.run(['devcontainer', 'connect', project.name, '--no-launch', '--restart-if-stopped']);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /\(running\)/);
    assert.equal((await containerExec(engine('local'), containerId, ['cat', '/tmp/starts'])).stdout, 'started\nstarted\n');
  });

  it('launches `code --folder-uri <uri>` (argv, nothing else), from inside the project folder with no argument', async () => {
    const { project } = await spawnProject('local', { image: 'pks-test/busybox:latest', postAttachCommand: 'echo attached >> /tmp/attached' });
    const bin = path.join(sandbox.home, 'fake-bin');
    await mkdir(bin, { recursive: true });
    const record = path.join(sandbox.home, 'code-args.json');
    await writeFile(path.join(bin, 'code'), `#!/usr/bin/env node\nrequire('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\n`);
    await chmod(path.join(bin, 'code'), 0o755);
    const result = await sandbox.run(['devcontainer', 'connect'], { cwd: project.dir, env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
    assert.equal(result.code, 0, result.stderr);
    const uri = /^uri\s+(\S+)$/m.exec(result.stdout)?.[1];
    assert.ok(uri !== undefined, result.stdout);
    await poll(async () => (await readFile(record, 'utf8').catch(() => '')) !== '', { timeoutMs: 5_000 });
    assert.deepEqual(JSON.parse(await readFile(record, 'utf8')), ['--folder-uri', uri]);
    assert.equal(decodeContainerUri(uri).workspaceFolder, `/workspaces/${project.name}`);
    const ids = (await engine('local').listContainers({ filters: { label: [`pks.project.path=${project.dir}`] } })).map((c) => c.Id);
    assert.equal((await containerExec(engine('local'), ids[0] ?? '', ['cat', '/tmp/attached'])).stdout, 'attached\n', 'postAttachCommand ran');
  });

  it('a failing postAttachCommand is reported, the editor opens anyway, exit 1', async () => {
    const { project } = await spawnProject('local', { image: 'pks-test/busybox:latest', postAttachCommand: 'echo attach-broke; exit 9' });
    const bin = path.join(sandbox.home, 'fake-bin-attach');
    await mkdir(bin, { recursive: true });
    const record = path.join(bin, 'called');
    await writeFile(path.join(bin, 'code'), `#!/bin/sh\necho "$@" > ${record}\n`);
    await chmod(path.join(bin, 'code'), 0o755);
    const result = await sandbox.run(['devcontainer', 'connect', project.name, '--log-format', 'json'], { env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
    assertErrorCode(result, 'E_HOOK_FAILED', 1);
    assert.match(lastError(result).hint ?? '', /runs on\. Look: pks devcontainer logs/);
    assert.doesNotMatch(result.stderr, /kept for inspection|rm .* --force/);
    assert.match(result.stderr, /Opened \/workspaces\//);
    await poll(async () => (await readFile(record, 'utf8').catch(() => '')) !== '', { timeoutMs: 5_000 });
    assert.match(await readFile(record, 'utf8'), /^--folder-uri vscode-remote:\/\/attached-container\+/);
  });

  it('an object-form postAttachCommand with two failing entries reports each of them, once', async () => {
    const { project } = await spawnProject('local', {
      image: 'pks-test/busybox:latest',
      postAttachCommand: { first: 'echo first-broke; exit 1', second: 'sleep 0.3; echo second-broke; exit 2', fine: 'true' },
    });
    const result = await sandbox.run(['devcontainer', 'connect', project.name, '--no-launch']);
    assert.equal(result.code, 1, result.stderr);
    // Each failing entry once in what is reported (the progress lines that start them aside).
    const reported = result.stderr.split('\n').filter((line) => !line.startsWith('Running ')).join('\n');
    const count = (text: string): number => reported.split(text).length - 1;
    assert.equal(count('first: echo first-broke; exit 1'), 1, result.stderr);
    assert.equal(count('second: sleep 0.3; echo second-broke; exit 2'), 1, result.stderr);
    assert.equal(count('fine: true'), 0, result.stderr);
    assert.match(result.stderr, /exit code 1/);
    assert.match(result.stderr, /exit code 2/);
    assert.match(result.stderr, /first-broke/);
    assert.match(result.stderr, /second-broke/);
    assert.doesNotMatch(result.stderr, /^warning: /m, 'the failure is reported as an error, not also as a warning');
    const json = await sandbox.run(['devcontainer', 'connect', project.name, '--no-launch', '--log-format', 'json']);
    assertErrorCode(json, 'E_HOOK_FAILED', 1);
  });
});

describe('spawn opens VS Code once the container is ready (waitFor)', () => {
  /** A fake `code` on PATH that records each call's argv, one JSON line a call. */
  async function fakeCode(name = 'code'): Promise<{ path: string; calls: () => Promise<string[][]> }> {
    const bin = path.join(sandbox.home, `fake-bin-${Math.random().toString(16).slice(2)}`);
    await mkdir(bin, { recursive: true });
    const record = path.join(bin, 'calls.jsonl');
    await writeFile(path.join(bin, name), `#!/usr/bin/env node\nrequire('fs').appendFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`);
    await chmod(path.join(bin, name), 0o755);
    const calls = async (): Promise<string[][]> => {
      // The editor is started detached: give it a moment to write.
      await poll(async () => (await readFile(record, 'utf8').catch(() => '')) !== '', { timeoutMs: 3_000 });
      const text = await readFile(record, 'utf8').catch(() => '');
      return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as string[]);
    };
    return { path: `${bin}:${process.env.PATH ?? ''}`, calls };
  }
  const HOOKS = { updateContentCommand: 'echo update-content', postCreateCommand: 'echo post-create' };

  it('by default after updateContentCommand, before the hooks after it; the URI opens the container', async () => {
    const code = await fakeCode();
    const project = await fixture.project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', ...HOOKS }) });
    const result = await sandbox.run(['devcontainer', 'spawn', project.dir], { env: { PATH: code.path } });
    assert.equal(result.code, 0, result.stderr);
    const opened = result.stderr.indexOf(`Opened /workspaces/${project.name} in code.`);
    assert.ok(opened > result.stderr.indexOf('updateContentCommand: echo update-content'), result.stderr);
    assert.ok(opened < result.stderr.indexOf('postCreateCommand: echo post-create'), result.stderr);
    const [call, ...more] = await code.calls();
    assert.deepEqual(more, []);
    assert.equal(call?.[0], '--folder-uri');
    const decoded = decodeContainerUri(call?.[1] ?? '');
    assert.match(decoded.containerName, /^\/pks-/);
    assert.equal(decoded.workspaceFolder, `/workspaces/${project.name}`);
    assert.equal(decoded.sshHostAlias, undefined);
  });

  it('opens a VS Code fork (cursor) when it is the editor on PATH, and --ide names one', async () => {
    const cursor = await fakeCode('cursor');
    const project = await fixture.project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }) });
    // Only the fake's folder and what node needs: no code or code-insiders to find first.
    const onlyCursor = `${cursor.path.split(':')[0] ?? ''}:${path.dirname(process.execPath)}:/usr/bin:/bin`;
    const result = await sandbox.run(['devcontainer', 'spawn', project.dir], { env: { PATH: onlyCursor } });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stderr.includes(`Opened /workspaces/${project.name} in cursor.`), result.stderr);
    const [call] = await cursor.calls();
    assert.equal(call?.[0], '--folder-uri');
    assert.equal(decodeContainerUri(call?.[1] ?? '').workspaceFolder, `/workspaces/${project.name}`);
    const named = await sandbox.run(['devcontainer', 'connect', project.name, '--ide', 'windsurf'], { env: { PATH: onlyCursor } });
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stderr, /windsurf is not on PATH, so nothing was opened/);
  });

  it('waitFor postCreateCommand waits for it; --no-launch and --ide none open nothing', async () => {
    const code = await fakeCode();
    const project = await fixture.project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', ...HOOKS, waitFor: 'postCreateCommand' }) });
    const result = await sandbox.run(['devcontainer', 'spawn', project.dir], { env: { PATH: code.path } });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stderr.indexOf('Opened') > result.stderr.indexOf('postCreateCommand: echo post-create'), result.stderr);
    assert.equal((await code.calls()).length, 1);
    for (const flag of [['--no-launch'], ['--ide', 'none']]) {
      const again = await sandbox.run(['devcontainer', 'spawn', project.dir, ...flag], { env: { PATH: code.path } });
      assert.equal(again.code, 0, again.stderr);
      assert.doesNotMatch(again.stderr, /Opened/);
    }
    assert.equal((await code.calls()).length, 1, 'no more editor starts');
  });

  it('on a remote host, with --yes: the URI goes through the SSH alias, which ~/.ssh/config now includes', async () => {
    const code = await fakeCode();
    const project = await fixture.project('r1', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }) });
    const result = await sandbox.run(['devcontainer', 'spawn', project.dir, '--remote', 'r1', '--yes'], { env: { PATH: code.path } });
    assert.equal(result.code, 0, result.stderr);
    const [call] = await code.calls();
    assert.equal(decodeContainerUri(call?.[1] ?? '').sshHostAlias, 'pks-r1');
    assert.match(await readFile(path.join(sandbox.home, '.ssh', 'config'), 'utf8'), new RegExp(`^Include ${path.join(sandbox.pksHome, 'ssh_config').replace(/[.]/g, '\\.')}$`, 'm'));
  });

  it('without an editor on PATH, says so and succeeds', async () => {
    const project = await fixture.project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }) });
    const result = await sandbox.run(['devcontainer', 'spawn', project.dir], { env: { PATH: path.dirname(process.execPath) + ':/usr/bin:/bin' } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /VS Code \(code, code-insiders, cursor, windsurf\) is not on PATH, so nothing was opened\. Open it by hand from a machine with VS Code: code --folder-uri '\S+' \(--no-launch skips this note\)\.\n$/);
  });
});

describe('shell and rebuild', () => {
  it('shell: a login shell in the workspace folder, as the remote user, exit code passed through', async () => {
    const { project } = await spawnProject('r1', { image: 'pks-test/debian:bookworm', remoteUser: 'daemon' });
    const result = await sandbox.run(['devcontainer', 'shell', project.name, '--remote', 'r1'], { input: 'pwd; id -un; cat file.txt; exit 3\n' });
    assert.equal(result.code, 3, result.stderr);
    assert.equal(result.stdout, `/workspaces/${project.name}\ndaemon\nhello\n`);
  });

  it('rebuild keeps the workspace files, changes the image, reruns create hooks', async () => {
    const project = await fixture.project('local', {
      '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' }, postCreateCommand: 'echo created >> /tmp/created' }),
      '.devcontainer/Dockerfile': 'FROM pks-test/busybox:latest\nRUN echo one > /image-version\n',
    });
    const first = await sandbox.run(['devcontainer', 'spawn', project.dir, '--format', 'json'], { timeoutMs: 120_000 });
    assert.equal(first.code, 0, first.stderr);
    const oldId = (JSON.parse(first.stdout) as { containerId: string }).containerId;
    await containerExec(engine('local'), oldId, ['sh', '-c', `echo wip > /workspaces/${project.name}/wip.txt`]);
    await writeFile(path.join(project.dir, '.devcontainer/Dockerfile'), 'FROM pks-test/busybox:latest\nRUN echo two > /image-version\n');
    const rebuilt = await sandbox.run(['devcontainer', 'rebuild', project.name, '--no-cache', '--format', 'json'], { timeoutMs: 120_000 });
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    const outcome = JSON.parse(rebuilt.stdout) as { action: string; containerId: string };
    assert.equal(outcome.action, 'rebuilt');
    assert.notEqual(outcome.containerId, oldId);
    const check = await containerExec(engine('local'), outcome.containerId, ['sh', '-c', `cat /image-version /workspaces/${project.name}/wip.txt /tmp/created`]);
    assert.equal(check.stdout, 'two\nwip\ncreated\n');
  });
});
