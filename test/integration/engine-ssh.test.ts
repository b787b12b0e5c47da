// The engine client over SSH against the test environment's remote hosts
// (network namespaces with their own sshd and dockerd).

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { isPksError, type PksError } from '../../src/common/errors.js';
import { demultiplex, openLocalEngine, openSshEngine, type SshEngineOptions } from '../../src/engine/index.js';
import { openSshConnectionCount, sshHandshakeCount } from '../../src/ssh/index.js';
import { sshUserIds } from '../helpers/projects.js';
import { listsAndExits, loadTestEnv, repoRoot, runNodeScript, type RemoteHostEnv } from '../helpers/test-env.js';

const env = loadTestEnv();
const run = promisify(execFile);

function optionsFor(host: RemoteHostEnv): SshEngineOptions {
  return {
    host: host.host,
    port: host.port,
    username: host.user,
    privateKeyPath: host.key,
    knownHostsFiles: [env.knownHosts],
    socketPath: host.dockerSocket,
  };
}

/** Established TCP connections from this process to host:port, as the kernel sees them. */
async function ourTcpConnections(host: string, port: number): Promise<number> {
  const { stdout } = await run('ss', ['-Htnp', 'state', 'established', 'dst', `${host}:${port}`]);
  return stdout.split('\n').filter((line) => line.includes(`pid=${process.pid},`)).length;
}

function expectPksError(code: string, check: (error: PksError) => void = () => undefined) {
  return (error: unknown): boolean => {
    assert.ok(isPksError(error), `expected a PksError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    check(error);
    return true;
  };
}

const tmp = mkdtempSync(path.join(tmpdir(), 'pks-engine-ssh-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

for (const [name, host] of [['pks-r1', env.r1], ['pks-r2', env.r2]] as const) {
  describe(`remote engine on ${name} over SSH`, () => {
    it('pings, reads version and info, and lists containers of that engine', async () => {
      const client = await openSshEngine(optionsFor(host));
      // The same engine seen from this machine, to check we reached the right one.
      const direct = await openLocalEngine({ DOCKER_HOST: `unix://${host.engineSocket}` });
      const label = `pks.test.engine-ssh-${randomBytes(6).toString('hex')}`;
      let id: string | undefined;
      try {
        assert.equal(client.target, `ssh://${host.user}@${host.host}:${host.port}`);
        assert.equal(client.kind, 'ssh');
        const ping = await client.ping();
        assert.match(ping.apiVersion ?? '', /^1\.\d+$/);
        const version = await client.version();
        assert.equal(version.Os, 'linux');
        assert.equal(version.Version, (await direct.version()).Version);
        assert.equal((await client.info()).DockerRootDir, (await direct.info()).DockerRootDir);

        ({ Id: id } = await direct.request(
          { method: 'POST', path: '/containers/create', query: { name: `pks-test-ssh-${randomBytes(4).toString('hex')}` }, body: { Image: env.images.busybox, Cmd: ['true'], Labels: { [label]: name } } },
          z.looseObject({ Id: z.string() }),
        ));
        const mine = await client.listContainers({ all: true, filters: { label: [label] } });
        assert.deepEqual(mine.map((container) => [container.Id, container.Labels[label]]), [[id, name]]);
      } finally {
        if (id !== undefined) await direct.requestEmpty({ method: 'DELETE', path: `/containers/${id}`, query: { force: 1 } });
        await direct.close();
        await client.close();
      }
    });

    it("learns the SSH user's uid and gid on the host, as `id` there says", async () => {
      const client = await openSshEngine(optionsFor(host));
      try {
        assert.deepEqual(await client.hostUserIds(), await sshUserIds(env, name === 'pks-r1' ? 'r1' : 'r2'));
      } finally {
        await client.close();
      }
    });
  });
}

describe('exec over SSH', () => {
  it('runs a command through a hijacked channel, with stdin, stdout and stderr', async () => {
    const client = await openSshEngine(optionsFor(env.r1));
    let id: string | undefined;
    try {
      ({ Id: id } = await client.request(
        {
          method: 'POST',
          path: '/containers/create',
          query: { name: `pks-test-exec-${randomBytes(4).toString('hex')}` },
          // sh waiting on an open stdin keeps the container up without sleep.
          body: { Image: env.images.busybox, Cmd: ['sh'], OpenStdin: true, Labels: { 'pks.test': 'engine-ssh-exec' } },
        },
        z.looseObject({ Id: z.string() }),
      ));
      await client.requestEmpty({ method: 'POST', path: `/containers/${id}/start` });
      const exec = await client.request(
        {
          method: 'POST',
          path: `/containers/${id}/exec`,
          body: { AttachStdin: true, AttachStdout: true, AttachStderr: true, Cmd: ['sh', '-c', 'echo out; echo err >&2; read line; echo got:$line'] },
        },
        z.looseObject({ Id: z.string() }),
      );
      const { socket, statusCode } = await client.hijack({ method: 'POST', path: `/exec/${exec.Id}/start`, body: { Detach: false, Tty: false } });
      assert.equal(statusCode, 101);
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const done = demultiplex(socket, stdout, stderr);
      // Half-close after stdin: the engine sees EOF, the output keeps flowing.
      socket.end('hello\n');
      await done;
      assert.equal(out, 'out\ngot:hello\n');
      assert.equal(err, 'err\n');
      const inspected = await client.request({ path: `/exec/${exec.Id}/json` }, z.looseObject({ ExitCode: z.number().nullable(), Running: z.boolean() }));
      assert.deepEqual([inspected.Running, inspected.ExitCode], [false, 0]);
    } finally {
      if (id !== undefined) await client.requestEmpty({ method: 'DELETE', path: `/containers/${id}`, query: { force: 1 } });
      await client.close();
    }
  });
});

describe('one SSH connection per host', () => {
  it('runs 50 concurrent API calls over a single SSH connection', async () => {
    assert.equal(await ourTcpConnections(env.r1.host, env.r1.port), 0);
    const handshakesBefore = sshHandshakeCount();
    const client = await openSshEngine(optionsFor(env.r1));
    try {
      const calls = Array.from({ length: 50 }, (_, index) =>
        index % 2 === 0 ? client.listContainers({ all: true }) : client.ping(),
      );
      // Counted while the calls are in flight: still one TCP connection.
      const during = await ourTcpConnections(env.r1.host, env.r1.port);
      const results = await Promise.allSettled(calls);
      assert.deepEqual(results.filter((result) => result.status === 'rejected'), []);
      assert.equal(during, 1);
      assert.equal(await ourTcpConnections(env.r1.host, env.r1.port), 1);
      assert.equal(sshHandshakeCount() - handshakesBefore, 1);

      // A second client for the same login shares the connection too.
      const second = await openSshEngine(optionsFor(env.r1));
      await second.listContainers();
      assert.equal(sshHandshakeCount() - handshakesBefore, 1);
      assert.equal(openSshConnectionCount(), 1);
      await second.close();
      await client.ping();
    } finally {
      await client.close();
    }
    assert.equal(openSshConnectionCount(), 0);
    assert.equal(await ourTcpConnections(env.r1.host, env.r1.port), 0);
  });

  it('lets the process exit by itself after close', async () => {
    await listsAndExits('openSshEngine', optionsFor(env.r1));
  });
});

describe('SSH failures', () => {
  it('skips an ssh-agent that cannot be reached and logs in with the key, as ssh does', async () => {
    // A socket file nothing listens on (an agent that died) and a path that
    // does not exist (a stale SSH_AUTH_SOCK): neither fails the login, and
    // the process still exits by itself.
    const dead = path.join(tmp, 'dead-agent.sock');
    const agent = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(dead)}, () => console.log('up'))`]);
    await new Promise<void>((resolve) => agent.stdout.once('data', () => resolve()));
    agent.kill('SIGKILL');
    await new Promise((resolve) => agent.once('exit', resolve));
    assert.ok(existsSync(dead), 'the killed agent left its socket file');
    for (const agentSocket of [dead, path.join(tmp, 'no-such-agent.sock')]) await listsAndExits('openSshEngine', { ...optionsFor(env.r1), agentSocket });
  });

  it('a server that accepts TCP but never speaks SSH: a timeout error, no crash, the process exits', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const result = await runNodeScript(`
        import { openSshEngine } from ${JSON.stringify(path.join(repoRoot, 'src/engine/index.ts'))};
        try {
          const client = await openSshEngine(${JSON.stringify({ ...optionsFor(env.r1), host: '127.0.0.1', port, readyTimeoutMs: 500 })});
          await client.listContainers();
          console.log('unexpected success');
        } catch (error) {
          console.log('failed', error.code, error.message);
        }
      `);
      assert.equal(result.killed, false, 'the process had to be killed: something kept it alive');
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /Unhandled 'error' event/);
      assert.match(result.stdout, /^failed E_SSH_UNREACHABLE .*timed out waiting for the SSH handshake/);
    } finally {
      silent.close();
    }
  });

  it('names host and port when nothing listens there', async () => {
    // Port 2 on the remote's address: the namespace is up, nothing listens.
    await assert.rejects(
      openSshEngine({ ...optionsFor(env.r1), port: 2 }),
      expectPksError('E_SSH_UNREACHABLE', (error) => {
        assert.ok(error.message.includes(`${env.r1.host} port 2`), error.message);
        assert.match(error.message, /connection refused/);
      }),
    );
    assert.equal(openSshConnectionCount(), 0);
  });

  it('says when the login may not use the remote Docker socket', async () => {
    const client = await openSshEngine({ ...optionsFor(env.r1), host: env.nodock.host, username: env.nodock.user, privateKeyPath: env.nodock.key });
    try {
      await assert.rejects(
        client.listContainers(),
        expectPksError('E_REMOTE_SOCKET', (error) => {
          assert.ok(error.message.includes(env.nodock.user));
          assert.ok(error.message.includes(env.nodock.host));
          assert.ok(error.message.includes(env.r1.dockerSocket));
          assert.match(error.message, /no permission/);
          assert.ok(error.hint?.includes(`sudo usermod -aG docker ${env.nodock.user}`));
        }),
      );
    } finally {
      await client.close();
    }
  });

  it('refuses an unknown host key', async () => {
    const knownHosts = path.join(tmp, 'empty_known_hosts');
    writeFileSync(knownHosts, '', { mode: 0o600 });
    await assert.rejects(
      openSshEngine({ ...optionsFor(env.r1), knownHostsFiles: [knownHosts] }),
      expectPksError('E_HOST_KEY_UNKNOWN', (error) => assert.match(error.message, /SHA256:[A-Za-z0-9+/]{43}/)),
    );
    assert.equal(readFileSync(knownHosts, 'utf8'), '');
  });

  it('accepts and records a new host key only when asked to', async () => {
    const knownHosts = path.join(tmp, 'accept_known_hosts');
    const client = await openSshEngine({ ...optionsFor(env.r2), knownHostsFiles: [knownHosts], acceptNewHostKey: true });
    await client.ping();
    await client.close();
    const recorded = readFileSync(knownHosts, 'utf8');
    assert.match(recorded, new RegExp(`^${env.r2.host.replaceAll('.', '\\.')} ssh-ed25519 \\S+\\n$`));
    const strict = await openSshEngine({ ...optionsFor(env.r2), knownHostsFiles: [knownHosts] });
    await strict.ping();
    await strict.close();
  });

  it('refuses a changed host key, loudly', async () => {
    // r2's key recorded under r1's address: to us, r1's key "changed".
    const r2Key = readFileSync(env.knownHosts, 'utf8')
      .split('\n')
      .find((line) => line.startsWith(`${env.r2.host} `));
    assert.ok(r2Key, 'the test known_hosts lists pks-r2');
    const knownHosts = path.join(tmp, 'changed_known_hosts');
    writeFileSync(knownHosts, `# stale entry\n${r2Key.replace(env.r2.host, env.r1.host)}\n`, { mode: 0o600 });
    await assert.rejects(
      openSshEngine({ ...optionsFor(env.r1), knownHostsFiles: [knownHosts], acceptNewHostKey: true }),
      expectPksError('E_HOST_KEY_CHANGED', (error) => {
        assert.match(error.message, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
        assert.ok(error.message.includes(`${knownHosts}:2`));
        assert.match(error.hint ?? '', /ssh-keygen -R/);
      }),
    );
  });

  it('refuses a private key readable by its group', async () => {
    const key = path.join(tmp, 'group_readable_key');
    copyFileSync(env.r1.key, key);
    chmodSync(key, 0o640);
    await assert.rejects(
      openSshEngine({ ...optionsFor(env.r1), privateKeyPath: key }),
      expectPksError('E_SSH_KEY_PERMISSIONS', (error) => {
        assert.equal(error.hint, `Run: chmod 600 ${key}`);
        assert.ok(!error.message.includes(readFileSync(env.r1.key, 'utf8').split('\n')[1] ?? 'never'));
      }),
    );
  });

  it('names the login and the key when authentication fails', async () => {
    await assert.rejects(
      openSshEngine({ ...optionsFor(env.r1), privateKeyPath: env.nodock.key }),
      expectPksError('E_SSH_AUTH', (error) => {
        assert.ok(error.message.includes(`${env.r1.user}@${env.r1.host}:${env.r1.port}`));
        assert.ok(error.message.includes(env.nodock.key));
      }),
    );
  });
});
