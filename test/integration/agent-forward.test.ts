// The engine layer's forwardAgent against the local engine and a real sshd
// (pks-r1; its /tmp is this machine's): the folders and socket it makes
// (0700 / 0711 / 0666), bytes going both ways between the served socket and
// this machine's "agent" (an echo server of the test's own), the end of the
// forward on close, and a planted symlink refused instead of followed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { isPksError } from '../../src/common/errors.js';
import { openLocalEngine, openSshEngine, type EngineClient } from '../../src/engine/index.js';
import { loadTestEnv } from '../helpers/test-env.js';

const env = loadTestEnv();
const exec = promisify(execFile);
const runId = randomBytes(4).toString('hex');
let dir: string;
let agentSocket: string;
let fakeAgent: net.Server;
const made: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pks-agent-int-'));
  agentSocket = path.join(dir, 'agent.sock');
  // Answers every chunk with "agent:" and the chunk.
  fakeAgent = net.createServer((socket) => socket.on('data', (chunk) => socket.write(`agent:${chunk.toString()}`)));
  await new Promise<void>((resolve) => fakeAgent.listen(agentSocket, resolve));
});
after(async () => {
  fakeAgent.close();
  await Promise.all(made.map((folder) => rm(folder, { recursive: true, force: true })));
  await rm(dir, { recursive: true, force: true });
});

function roundTrip(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    socket.once('error', reject);
    socket.once('connect', () => socket.write('ping'));
    socket.once('data', (chunk) => {
      socket.destroy();
      resolve(chunk.toString());
    });
  });
}

const refused = (error: unknown): boolean => isPksError(error) && error.code === 'E_SSH_AGENT_FORWARD' && /not a folder of/.test(error.message);

for (const where of ['local', 'pks-r1'] as const) {
  describe(`forwardAgent on ${where}`, () => {
    let engine: EngineClient;
    let uid: number;
    before(async () => {
      if (where === 'local') {
        engine = await openLocalEngine({ ...process.env, DOCKER_HOST: `unix://${env.localSocket}` });
        uid = process.getuid?.() ?? 0;
      } else {
        engine = await openSshEngine({ host: env.r1.host, port: env.r1.port, username: env.r1.user, privateKeyPath: env.r1.key, knownHostsFiles: [env.knownHosts], socketPath: env.r1.dockerSocket });
        uid = Number((await exec('id', ['-u', env.r1.user])).stdout.trim());
      }
    });
    after(() => engine.close());

    it('serves this machine\'s agent in /tmp/pks-<uid>-agent/<key>/agent.sock (0700, 0711, 0666) until closed', async () => {
      const key = `pks-int-${runId}-${where}`;
      const forward = await engine.forwardAgent(key, agentSocket);
      assert.ok(forward !== undefined);
      made.push(forward.hostDir);
      assert.equal(forward.hostDir, `/tmp/pks-${uid}-agent/${key}`);
      const base = await lstat(path.dirname(forward.hostDir));
      assert.equal(base.mode & 0o777, 0o700);
      assert.equal(base.uid, uid);
      assert.equal((await lstat(forward.hostDir)).mode & 0o777, 0o711);
      const socketPath = path.join(forward.hostDir, 'agent.sock');
      assert.equal((await stat(socketPath)).mode & 0o777, 0o666, 'the container\'s user (another uid) can connect');
      assert.equal(await roundTrip(socketPath), 'agent:ping');
      await forward.close();
      // Nothing answers once closed: the socket is gone, or nothing listens on it.
      await assert.rejects(roundTrip(socketPath), (error: NodeJS.ErrnoException) => error.code === 'ENOENT' || error.code === 'ECONNREFUSED');
    });

    it('refuses a folder that is a symlink someone planted, and makes nothing where it leads', async () => {
      const key = `pks-int-${runId}-${where}-planted`;
      const base = `/tmp/pks-${uid}-agent`;
      // The base folder exists and is the user's (the first forward made it).
      const first = await engine.forwardAgent(`pks-int-${runId}-${where}-base`, agentSocket);
      made.push(first?.hostDir ?? '');
      await first?.close();
      const elsewhere = path.join(dir, `elsewhere-${where}`);
      await mkdir(elsewhere, { mode: 0o777 });
      await symlink(elsewhere, path.join(base, key));
      made.push(path.join(base, key));
      await assert.rejects(engine.forwardAgent(key, agentSocket), refused);
      await assert.rejects(lstat(path.join(elsewhere, 'agent.sock')), { code: 'ENOENT' }, 'no socket made through the symlink');
    });
  });
}
