// `pks devcontainer forward`, as a user runs it, on the local engine and a
// remote host: an HTTP server in the container answers on 127.0.0.1 here.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { E2eFixture, remoteArgs } from '../helpers/e2e-fixture.js';
import { assertErrorCode, lastError } from '../helpers/error-codes.js';
import { STACK_TRACE, pksBin, type Sandbox } from '../helpers/pks-cli.js';
import type { Where } from '../helpers/projects.js';
import { inTerminal, pks } from '../helpers/terminal.js';
import { holdersOf, settledHolders } from '../helpers/warm-holders.js';
import { waitFor } from '../helpers/wait.js';

const fixture = new E2eFixture(['local', 'r1']);
let sandbox: Sandbox;
before(async () => {
  await fixture.setUp();
  sandbox = fixture.sandbox;
});
after(() => fixture.tearDown());

/** A port nothing listens on here now (the system's choice, then let go). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(typeof address === 'object' && address !== null);
  return address.port;
}

async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

/** The body of GET http://127.0.0.1:<port>/, or the error's code. */
function httpGet(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`));
    req.end();
  });
}

/** A `pks devcontainer forward` running in the background, as in a terminal. */
/** Established TCP connections from process `pid` to host:port, as the kernel sees them. */
async function sshConnectionsOf(pid: number, host: string, port: number): Promise<number> {
  const { stdout } = await promisify(execFile)('ss', ['-Htnp', 'state', 'established', 'dst', `${host}:${port}`]);
  return stdout.split('\n').filter((line) => line.includes(`pid=${pid},`)).length;
}

class Forward {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [pksBin, 'devcontainer', 'forward', ...args], { env: { ...sandbox.env, ...env }, stdio: 'pipe' });
    this.child.stdout.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('close', resolve));
  }

  /** The local port of the forward to `containerPort`, once its line is printed. */
  async localPort(containerName: string, containerPort: number, label: string): Promise<number> {
    const line = new RegExp(`^127\\.0\\.0\\.1:(\\d+) -> ${containerName}:${containerPort} \\(${label}\\)$`, 'm');
    await waitFor(() => line.test(this.stdout), { timeoutMs: 30_000, message: () => `no forward line for ${containerPort}\nstdout: ${this.stdout}\nstderr: ${this.stderr}` });
    return Number(line.exec(this.stdout)?.[1]);
  }

  /** Ctrl-C, and the exit code. */
  async interrupt(): Promise<number | null> {
    this.child.kill('SIGINT');
    return this.exited;
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

interface Served {
  project: string;
  containerName: string;
  /** The forwardPorts port its httpd answers on (chosen free here, so the same local port is free too). */
  port: number;
}

/** A busybox dev container with httpd on a forwardPorts port (labelled "web") and on 8080. */
async function servedProject(where: Where): Promise<Served> {
  const port = await freePort();
  const config = {
    image: 'pks-test/busybox:latest',
    forwardPorts: [port, 'db:5432'],
    portsAttributes: { [String(port)]: { label: 'web' }, '8080': { label: 'alt' } },
    postStartCommand: `mkdir -p /tmp/www && echo hello-${port} > /tmp/www/index.html && httpd -p ${port} -h /tmp/www && httpd -p 8080 -h /tmp/www`,
  };
  const project = await fixture.project(where, { '.devcontainer/devcontainer.json': JSON.stringify(config) });
  const spawned = await fixture.spawn(where, project.dir);
  assert.equal(spawned.code, 0, spawned.stderr);
  return { project: project.name, containerName: spawned.outcome?.containerName ?? '', port };
}

for (const where of ['local', 'r1'] as const) {
  describe(`forward on ${where}`, () => {
    let served: Served;
    before(async () => {
      served = await servedProject(where);
    });

    it('forwards the forwardPorts port to the server in the container, shows it in list --format json, and Ctrl-C ends it (exit 130, entry removed)', async () => {
      const forward = new Forward([served.project, ...remoteArgs(where)]);
      try {
        const local = await forward.localPort(served.containerName, served.port, 'web');
        assert.equal(local, served.port, 'the same local port when it is free');
        // Another service's "db:5432" is not this container's port.
        assert.doesNotMatch(forward.stdout, /:5432/);
        assert.equal(await httpGet(local), `hello-${served.port}\n`);
        assert.equal(await httpGet(local), `hello-${served.port}\n`, 'a second connection too');

        const listed = await sandbox.run(['devcontainer', 'list', '--format', 'json', ...remoteArgs(where)]);
        assert.equal(listed.code, 0, listed.stderr);
        const entry = (JSON.parse(listed.stdout) as Array<{ name: string; address: string | null; forwards: unknown[] }>).find((c) => c.name === served.containerName);
        assert.match(entry?.address ?? '', /^\d+\.\d+\.\d+\.\d+$/);
        assert.deepEqual(entry?.forwards, [{ localPort: local, containerPort: served.port, label: 'web', pid: forward.child.pid }]);
        const inspected = await sandbox.run(['devcontainer', 'inspect', served.project, '--format', 'json', ...remoteArgs(where)]);
        assert.deepEqual((JSON.parse(inspected.stdout) as { forwards: unknown[] }).forwards, entry?.forwards);

        const registryFile = path.join(sandbox.pksHome, 'run', 'forwards', `${forward.child.pid}.json`);
        assert.equal((await stat(registryFile)).mode & 0o777, 0o600);

        assert.equal(await forward.interrupt(), 130, forward.stderr);
        assert.doesNotMatch(forward.stderr, STACK_TRACE);
        await assert.rejects(stat(registryFile), { code: 'ENOENT' });
        assert.equal(await httpGet(local), 'error ECONNREFUSED', 'nothing listens once it ended');
        const after = await sandbox.run(['devcontainer', 'list', '--format', 'json', ...remoteArgs(where)]);
        assert.deepEqual((JSON.parse(after.stdout) as Array<{ name: string; forwards: unknown[] }>).find((c) => c.name === served.containerName)?.forwards, []);
      } finally {
        forward.stop();
      }
    });

    it('an explicit container:local mapping listens on that local port', async () => {
      const wanted = await freePort();
      const forward = new Forward([served.project, `8080:${wanted}`, ...remoteArgs(where)]);
      try {
        assert.equal(await forward.localPort(served.containerName, 8080, 'alt'), wanted);
        assert.equal(await httpGet(wanted), `hello-${served.port}\n`);
        assert.equal(await forward.interrupt(), 130);
      } finally {
        forward.stop();
      }
    });

    it('a busy local port moves to the next free one and says so; a required one fails', async () => {
      const busy = await occupy(served.port);
      const forward = new Forward([served.project, ...remoteArgs(where)]);
      try {
        const local = await forward.localPort(served.containerName, served.port, 'web');
        assert.ok(local > served.port, `moved from ${served.port} to ${local}`);
        assert.match(forward.stderr, new RegExp(`127\\.0\\.0\\.1:${served.port} is in use: container port ${served.port} is forwarded from 127\\.0\\.0\\.1:${local} instead`));
        assert.equal(await httpGet(local), `hello-${served.port}\n`);
        assert.equal(await forward.interrupt(), 130);

        const required = await sandbox.run(['devcontainer', 'forward', served.project, `${served.port}:${served.port}`, '--log-format', 'json', ...remoteArgs(where)]);
        assertErrorCode(required, 'E_PORT_BUSY', 1);
        assert.match(lastError(required).hint ?? '', /<container port>:<local port>/);
      } finally {
        forward.stop();
        await new Promise((resolve) => busy.close(resolve));
      }
    });
  });
}

describe('forward through a warm connection', () => {
  it('the channels go through the host\'s holder, which outlives the forward', async () => {
    const served = await servedProject('r1');
    const warm = { PKS_NO_PERSIST: '', PKS_PERSIST_IDLE_SECONDS: '30' };
    // A command that finds no holder connects directly and starts one as it
    // ends: the first command warms the host, the forward then finds the holder.
    const first = await sandbox.run(['devcontainer', 'list', '--remote', 'r1'], { env: warm });
    assert.equal(first.code, 0, first.stderr);
    await waitFor(async () => (await holdersOf(sandbox.pksHome)).length > 0, { timeoutMs: 30_000, message: 'a holder is started after the first command' });
    const [holder] = await settledHolders(sandbox.pksHome);
    assert.ok(holder !== undefined, 'a holder answers');
    const forward = new Forward([served.project, '--remote', 'r1'], warm);
    try {
      const local = await forward.localPort(served.containerName, served.port, 'web');
      assert.equal(await httpGet(local), `hello-${served.port}\n`);
      // The forward's connection went through the holder: it has no SSH connection of its own.
      assert.equal(await sshConnectionsOf(forward.child.pid ?? -1, fixture.env.r1.host, fixture.env.r1.port), 0, 'the forward logged in by itself');
      assert.equal(await forward.interrupt(), 130, forward.stderr);
      assert.deepEqual(await holdersOf(sandbox.pksHome), [holder], 'the holder stays for the next command');
    } finally {
      forward.stop();
      await sandbox.run(['remote', 'disconnect', '--all']);
    }
  });
});

describe('shell and connect forward the configuration\'s ports while they run', () => {
  let served: Served;
  before(async () => {
    served = await servedProject('local');
  });

  /** `pks devcontainer shell` with its stdin open: the shell runs until `end()`. */
  function startShell(extra: string[]): { child: ChildProcessWithoutNullStreams; stderr: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [pksBin, 'devcontainer', 'shell', served.project, ...extra], { env: sandbox.env, stdio: 'pipe' });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    return { child, stderr: () => stderr, exited: new Promise((resolve) => child.once('close', resolve)) };
  }

  it('shell: forwarded while the shell runs, closed when it ends; --no-forward leaves them alone', async () => {
    const shell = startShell([]);
    try {
      const line = `Forwarding 127.0.0.1:${served.port} -> ${served.containerName}:${served.port} (web)`;
      await waitFor(() => shell.stderr().includes(line), { timeoutMs: 30_000, message: () => shell.stderr() });
      assert.equal(await httpGet(served.port), `hello-${served.port}\n`);
      shell.child.stdin.end('exit 0\n');
      assert.equal(await shell.exited, 0, shell.stderr());
      assert.equal(await httpGet(served.port), 'error ECONNREFUSED');
    } finally {
      shell.child.kill('SIGKILL');
    }
    const plain = startShell(['--no-forward']);
    try {
      plain.child.stdin.write('echo ready >&2\n');
      await waitFor(() => plain.stderr().includes('ready'), { timeoutMs: 30_000, message: () => plain.stderr() });
      assert.equal(await httpGet(served.port), 'error ECONNREFUSED', 'nothing forwarded with --no-forward');
      assert.doesNotMatch(plain.stderr(), /Forwarding/);
      plain.child.stdin.end('exit 0\n');
      assert.equal(await plain.exited, 0, plain.stderr());
    } finally {
      plain.child.kill('SIGKILL');
    }
  });

  it('connect on a terminal without an editor forwards until Ctrl-C (exit 130); without a terminal it returns at once', async () => {
    const terminal = inTerminal(pks(['devcontainer', 'connect', served.project, '--no-launch']), { env: sandbox.env });
    await waitFor(() => terminal.output().includes('Forwarding until Ctrl-C'), { timeoutMs: 30_000, message: () => terminal.output() });
    assert.match(terminal.output(), new RegExp(`Forwarding 127\\.0\\.0\\.1:${served.port} -> ${served.containerName}:${served.port} \\(web\\)`));
    assert.equal(await httpGet(served.port), `hello-${served.port}\n`);
    terminal.write('\x03');
    assert.equal(await terminal.exited, 130, terminal.output());
    assert.equal(await httpGet(served.port), 'error ECONNREFUSED');

    const scripted = await sandbox.run(['devcontainer', 'connect', served.project, '--no-launch']);
    assert.equal(scripted.code, 0, scripted.stderr);
    assert.doesNotMatch(scripted.stderr, /Forwarding/);
  });
});

describe('forward: what is refused', () => {
  it('a port out of range is a command-line error (exit 2) with a hint, before any engine is asked', async () => {
    for (const port of ['70000', '0', '8080:99999', 'http']) {
      const result = await sandbox.run(['devcontainer', 'forward', 'anything', port, '--remote', 'nowhere', '--log-format', 'json']);
      assertErrorCode(result, 'E_BAD_PORT', 2);
      assert.match(lastError(result).hint ?? '', /8080:18080/);
      assert.doesNotMatch(result.stderr, STACK_TRACE);
    }
  });

  it('a container without a network still spawns; forwarding to it says why it cannot; no port at all is a usage error', async () => {
    const isolated = await fixture.project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', runArgs: ['--network', 'none'], forwardPorts: [3000] }) });
    const spawned = await fixture.spawn('local', isolated.dir);
    assert.equal(spawned.code, 0, spawned.stderr);
    const refused = await sandbox.run(['devcontainer', 'forward', isolated.name, '--log-format', 'json']);
    assertErrorCode(refused, 'E_NO_CONTAINER_ADDRESS', 1);
    assert.match(lastError(refused).message, /network mode none/);

    const plain = await fixture.project('local', { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }) });
    assert.equal((await fixture.spawn('local', plain.dir)).code, 0);
    const none = await sandbox.run(['devcontainer', 'forward', plain.name, '--log-format', 'json']);
    assertErrorCode(none, 'E_NO_PORTS', 2);
    assert.match(lastError(none).hint ?? '', new RegExp(`pks devcontainer forward ${plain.name} 3000`));
  });

  it('an unknown container is reported as for every command, with where to look', async () => {
    const result = await sandbox.run(['devcontainer', 'forward', `no-such-${process.pid}`, '3000', '--log-format', 'json']);
    assertErrorCode(result, 'E_CONTAINER_NOT_FOUND', 1);
    assert.match(lastError(result).hint ?? '', /pks devcontainer list --all/);
  });
});
