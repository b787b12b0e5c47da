// SSH agent forwarding for the local engine: a relay socket served by this
// pks process for as long as the command runs, in a folder the container
// bind-mounts. Each connection to it is piped to the agent this command was
// given ($SSH_AUTH_SOCK), so the path in the container never depends on the
// agent's own path, which changes with every login.
//
// Layout, as on a remote host (see src/ssh/agent-forward.ts):
// /tmp/pks-<uid>-agent (0700, this user's) / <container> (0711) / agent.sock (0666).

import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import path from 'node:path';
import { OperationError, errorMessage, systemErrorCode } from '../common/errors.js';
import { AGENT_SOCKET_NAME, agentBaseDir, checkAgentKey, type AgentForward } from '../ssh/agent-forward.js';
import { listen } from './tool-endpoint.js';

/** mkdir, then check what is there: a real folder of this user's, never a symlink someone planted. */
async function ownFolder(dir: string, uid: number, mode: number): Promise<void> {
  await mkdir(dir, { mode }).catch((error: unknown) => {
    if (systemErrorCode(error) !== 'EEXIST') throw error;
  });
  const info = await lstat(dir);
  if (!info.isDirectory() || info.uid !== uid) {
    throw new OperationError('E_SSH_AGENT_FORWARD', `${dir} is not a folder of yours: the agent is not forwarded there.`, {
      hint: `Remove ${dir} (it may be left from an engine restart), then run the command again.`,
    });
  }
  if ((info.mode & 0o7777) !== mode) await chmod(dir, mode);
}

/** True when something accepts connections on `socketPath` (within a second). */
export function socketAnswers(socketPath: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    const done = (answers: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answers);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Serves `agentSocket` at /tmp/pks-<uid>-agent/<key>/agent.sock on this machine until close(). */
export async function serveLocalAgent(key: string, agentSocket: string): Promise<AgentForward> {
  checkAgentKey(key);
  const uid = process.getuid?.() ?? 0;
  const base = agentBaseDir(uid);
  const hostDir = path.join(base, key);
  const socketPath = path.join(hostDir, AGENT_SOCKET_NAME);
  try {
    await ownFolder(base, uid, 0o700);
    await ownFolder(hostDir, uid, 0o711);
    // Another pks command serving this container's agent keeps serving it.
    if (await socketAnswers(socketPath)) return { hostDir, close: async () => undefined };
    await unlink(socketPath).catch(() => undefined);
  } catch (error) {
    if (error instanceof OperationError) throw error;
    throw new OperationError('E_SSH_AGENT_FORWARD', `The SSH agent could not be forwarded: ${errorMessage(error)}.`, {
      hint: '--no-ssh-agent does without.',
      cause: error,
    });
  }
  const open = new Set<Socket>();
  const server = createServer((inside) => {
    const agent = createConnection(agentSocket);
    open.add(inside);
    inside.once('close', () => open.delete(inside));
    inside.on('error', () => agent.destroy());
    agent.on('error', () => inside.destroy());
    inside.once('close', () => agent.destroy());
    agent.once('close', () => inside.destroy());
    inside.pipe(agent).pipe(inside);
  });
  await listen(server, socketPath);
  // The relay never keeps pks alive by itself: the command's own work does.
  server.unref();
  await chmod(socketPath, 0o666);
  const inode = (await lstat(socketPath)).ino;
  return {
    hostDir,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Only our own socket file: another command may serve the folder now.
      const ours = await lstat(socketPath).then((info) => info.ino === inode, () => false);
      if (ours) await unlink(socketPath).catch(() => undefined);
    },
  };
}
