// A remote host whose engine is rootless Podman (pks-r4: the login user's
// podman.sock, nothing at /var/run/docker.sock), driven through the built
// pks as a user would: detection at `remote add`/`remote test`, then spawn,
// list and every lifecycle command.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { E2eFixture } from '../helpers/e2e-fixture.js';
import { STACK_TRACE, sandboxPool } from '../helpers/pks-cli.js';
import { BUILD_WITH_FEATURE, containerExec, leftovers, type Project } from '../helpers/projects.js';
import { inTerminal, pks as pksLine } from '../helpers/terminal.js';
import type { TestEnv } from '../helpers/test-env.js';

const fixture = new E2eFixture(['r4']);
let env: TestEnv;
const { sandbox, cleanup } = sandboxPool(() => env.knownHosts);
before(async () => {
  await fixture.setUp();
  env = fixture.env;
});
after(async () => {
  await fixture.tearDown();
  await cleanup();
});

const project = (files: Record<string, string>): Promise<Project> => fixture.project('r4', files);
const pks = (args: string[]) => fixture.sandbox.run(args, { timeoutMs: 180_000 });

interface StoredHost {
  id: string;
  dockerSocket: string;
  capabilities: { engine?: string; engineVersion: string } | null;
}

describe('pks remote on a Podman host', () => {
  it('remote add finds the rootless Podman socket, says "Podman <version>" and stores both', async () => {
    const s = await sandbox();
    const added = await s.run(['remote', 'add', 'pod', '--host', env.r4.host, '--user', env.r4.user, '--key', env.r4.key]);
    assert.equal(added.code, 0, added.stderr);
    const socket = env.r4.dockerSocket.replace(/\./g, '\\.');
    assert.match(added.stderr, new RegExp(`✔ Docker socket\\s+${socket} answers \\(nothing usable at /var/run/docker\\.sock\\)`));
    assert.match(added.stderr, /✔ engine version\s+Podman 4\.\d+\.\d+, API 1\.\d+ \(using 1\.\d+\), linux\/\w+; on Podman: no BuildKit/);
    assert.doesNotMatch(added.stderr, STACK_TRACE);

    const listed = JSON.parse((await s.run(['remote', 'list', '--format', 'json'])).stdout) as StoredHost[];
    assert.equal(listed[0]?.dockerSocket, env.r4.dockerSocket);
    assert.equal(listed[0]?.capabilities?.engine, 'podman');
    const table = await s.run(['remote', 'list']);
    assert.match(table.stdout, /\npod\s+\S+\s+\S+r4_ed25519\s+Podman 4\.\d+\.\d+\s+just now/);

    const tested = await s.run(['remote', 'test', 'pod']);
    assert.equal(tested.code, 0, tested.stderr);
    assert.match(tested.stdout, new RegExp(`✔ Docker socket\\s+${socket} answers \\(`));
    assert.match(tested.stdout, /✔ engine version\s+Podman 4\./);
  });

  it('remote test finds the socket of a host saved with --no-test, and keeps it', async () => {
    const s = await sandbox();
    const added = await s.run(['remote', 'add', 'pod', '--host', env.r4.host, '--user', env.r4.user, '--key', env.r4.key, '--no-test']);
    assert.equal(added.code, 0, added.stderr);
    const tested = await s.run(['remote', 'test', 'pod', '--format', 'json']);
    assert.equal(tested.code, 0, tested.stderr);
    const report = JSON.parse(tested.stdout) as { ok: boolean; capabilities: { engine: string } };
    assert.equal(report.ok, true);
    assert.equal(report.capabilities.engine, 'podman');
    const listed = JSON.parse((await s.run(['remote', 'list', '--format', 'json'])).stdout) as StoredHost[];
    assert.equal(listed[0]?.dockerSocket, env.r4.dockerSocket);
  });

  it('an explicit --docker-socket is not second-guessed: the failure names that socket', async () => {
    const s = await sandbox();
    const added = await s.run(['remote', 'add', 'pod', '--host', env.r4.host, '--user', env.r4.user, '--key', env.r4.key, '--docker-socket', '/var/run/docker.sock']);
    assert.equal(added.code, 1, added.stderr);
    assert.match(added.stderr, /✖ Docker socket\s+\/var\/run\/docker\.sock on \S+ is not a socket/);
    assert.doesNotMatch(added.stderr, STACK_TRACE);
  });
});

describe('dev containers on a Podman host', () => {
  it('busybox: spawn, list, exec, logs, stop/start/restart, connect --print-uri, rm', async () => {
    const p = await project({ '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', postStartCommand: 'echo started >> /tmp/starts' }), 'hello.txt': 'hi\n' });
    const spawned = await fixture.spawn('r4', p.dir, ['--no-launch']);
    assert.equal(spawned.code, 0, spawned.stderr);
    assert.equal(spawned.outcome?.outcome, 'success');
    assert.equal(spawned.outcome?.action, 'created');
    const id = spawned.outcome?.containerId ?? '';
    const folder = `/workspaces/${p.name}`;

    const list = await pks(['devcontainer', 'list', '--remote', 'r4', '--format', 'json']);
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as Array<{ containerId: string; status: string; project: string; host: string }>;
    assert.deepEqual(
      rows.filter((row) => row.containerId === id).map((row) => [row.project, row.status, row.host]),
      [[p.name, 'running', 'r4']],
    );

    const exec = await pks(['devcontainer', 'exec', '--remote', 'r4', p.name, '--', 'cat', `${folder}/hello.txt`]);
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stdout, 'hi\n');
    const failing = await pks(['devcontainer', 'exec', '--remote', 'r4', p.name, '--', 'sh', '-c', 'exit 7']);
    assert.equal(failing.code, 7);

    // In a terminal, the command sees the terminal's size from its first
    // instruction (Podman takes it with the exec's start, not at create).
    const sized = inTerminal(
      `stty rows 45 cols 123; for i in 1 2 3 4 5; do ${pksLine(['devcontainer', 'exec', '-t', '--remote', 'r4', p.name, '--', 'stty', 'size'])}; done`,
      { env: fixture.sandbox.env },
    );
    assert.equal(await sized.exited, 0, sized.output());
    assert.deepEqual(sized.output().split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== ''), Array(5).fill('45 123'), sized.output());

    const logs = await pks(['devcontainer', 'logs', '--remote', 'r4', p.name]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout + logs.stderr, /pks: container started/);

    for (const command of ['stop', 'start', 'restart']) {
      const result = await pks(['devcontainer', command, '--remote', 'r4', p.name]);
      assert.equal(result.code, 0, `${command}: ${result.stderr}`);
    }
    const inspected = await fixture.engine('r4').request({ path: `/containers/${id}/json` }, z.looseObject({ State: z.looseObject({ Running: z.boolean() }) }));
    assert.equal(inspected.State.Running, true);
    // postStartCommand ran at spawn, start and restart.
    assert.equal((await containerExec(fixture.engine('r4'), id, ['cat', '/tmp/starts'])).stdout, 'started\nstarted\nstarted\n');

    const uri = await pks(['devcontainer', 'connect', '--remote', 'r4', p.name, '--print-uri', '--yes']);
    assert.equal(uri.code, 0, uri.stderr);
    assert.match(uri.stdout, new RegExp(`^vscode-remote://attached-container\\+[0-9a-f]+@ssh-remote\\+pks-r4${folder}\\n$`));

    const stopped = await pks(['devcontainer', 'stop', '--remote', 'r4', p.name]);
    assert.equal(stopped.code, 0, stopped.stderr);
    const removed = await pks(['devcontainer', 'rm', '--remote', 'r4', p.name, '--volumes', '--yes']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(await leftovers(fixture.engine('r4'), p.dir), { containers: [], volumes: [] });
  });

  it('builds with Buildah through the classic build API: a Dockerfile with an argument and a local Feature', async () => {
    const p = await project(BUILD_WITH_FEATURE);
    const result = await fixture.spawn('r4', p.dir, ['--no-launch']);
    assert.equal(result.code, 0, result.stderr);
    const id = result.outcome?.containerId ?? '';
    assert.equal((await containerExec(fixture.engine('r4'), id, ['cat', '/tmp/result'])).stdout, 'built\nfeature\n');
    assert.equal((await containerExec(fixture.engine('r4'), id, ['sh', '-c', 'echo $HELLO_FEATURE'])).stdout, '1\n');
  });

  it('"init": true where Podman has no catatonit: a typed error that says what to install, and nothing left behind', async () => {
    const p = await project({ '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', init: true }) });
    const result = await fixture.spawn('r4', p.dir, ['--no-launch']);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.outcome?.code, 'E_INIT_UNAVAILABLE', result.stderr);
    assert.match(result.stderr, /has no init process for the configuration's "init": true/);
    assert.match(result.stderr, /hint: Install one on that host \(Podman: the catatonit package/);
    assert.doesNotMatch(result.stderr, STACK_TRACE);
    assert.deepEqual(await leftovers(fixture.engine('r4'), p.dir), { containers: [], volumes: [] });
  });

  it('debian: remote user, hooks and file owners in the rootless user namespace; rebuild keeps the workspace', async () => {
    const config = { image: 'pks-test/debian:bookworm', remoteUser: 'daemon', postCreateCommand: 'id -un > /tmp/who', containerEnv: { STAGE: 'one' } };
    const p = await project({ '.devcontainer/devcontainer.json': JSON.stringify(config), 'src/app.sh': 'echo app\n' });
    const first = await fixture.spawn('r4', p.dir, ['--no-launch']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.outcome?.remoteUser, 'daemon');
    const e = fixture.engine('r4');
    const oldId = first.outcome?.containerId ?? '';
    const folder = `/workspaces/${p.name}`;
    // Inside the container the files belong to the remote user (daemon, 1:1),
    // whatever uid that maps to on the host.
    const owners = await containerExec(e, oldId, ['stat', '-c', '%u:%g', folder, `${folder}/src/app.sh`]);
    assert.equal(owners.stdout, '1:1\n1:1\n');
    assert.equal((await containerExec(e, oldId, ['cat', '/tmp/who'])).stdout, 'daemon\n');
    await containerExec(e, oldId, ['sh', '-c', `echo wip > ${folder}/wip.txt`], 'daemon');

    await writeFile(path.join(p.dir, '.devcontainer/devcontainer.json'), JSON.stringify({ ...config, containerEnv: { STAGE: 'two' } }));
    const rebuilt = await pks(['devcontainer', 'rebuild', '--remote', 'r4', p.name, '--format', 'json']);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    const outcome = JSON.parse(rebuilt.stdout) as { containerId: string; volumeName: string };
    assert.notEqual(outcome.containerId, oldId);
    assert.equal(outcome.volumeName, first.outcome?.volumeName);
    assert.equal((await containerExec(e, outcome.containerId, ['cat', `${folder}/wip.txt`])).stdout, 'wip\n');
    assert.equal((await containerExec(e, outcome.containerId, ['sh', '-c', 'echo $STAGE'])).stdout, 'two\n');
    assert.deepEqual((await leftovers(e, p.dir)).containers, [outcome.containerId]);
  });
});
