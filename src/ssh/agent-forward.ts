// SSH agent forwarding to a remote host, as `ssh -A` does it but into a
// folder the dev container bind-mounts: OpenSSH's own streamlocal forwarding
// (`streamlocal-forward@openssh.com`). sshd listens on a unix socket on the
// host; each connection to it arrives here as a channel, piped to this
// machine's agent. Nothing runs or is installed on the host or in the
// container; the folders are made and checked over SFTP.
//
// Layout on the host: /tmp/pks-<uid>-agent (0700, the SSH user's: it keeps
// every other user of the host out) holds one folder per container (0711,
// bind-mounted at /run/pks-agent) with the socket agent.sock (0666: the
// container's user has another uid than the SSH user, and the folder above
// already decides who on the host gets this far).

import type { Client, SFTPWrapper, Stats } from 'ssh2';
import { createConnection } from 'node:net';
import { OperationError, errorMessage } from '../common/errors.js';
import type { SshConnection } from './connection.js';

/** The socket's name in its folder, on the host and (bind-mounted) in the container. */
export const AGENT_SOCKET_NAME = 'agent.sock';

/** A forward in place: the host folder that holds the socket, and how to end it. */
export interface AgentForward {
  hostDir: string;
  close(): Promise<void>;
}

/** The per-user folder of forwarded agent sockets on a host (or this machine). */
export function agentBaseDir(uid: number): string {
  return `/tmp/pks-${uid}-agent`;
}

/** Container names only: the key becomes a folder name. */
export function checkAgentKey(key: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(key)) throw new OperationError('E_SSH_AGENT_FORWARD', `"${key}" cannot name an agent socket folder.`);
}

interface Route {
  agentSocket: string;
  /** Told of each connection (a holder counts it as use). */
  onUse: (() => void) | undefined;
}

/** One dispatcher per client: which forwarded socket path goes to which local agent socket. */
const routes = new WeakMap<Client, Map<string, Route>>();

function routeTable(client: Client): Map<string, Route> {
  let table = routes.get(client);
  if (table !== undefined) return table;
  const created = new Map<string, Route>();
  routes.set(client, created);
  client.on('unix connection', (info, accept, reject) => {
    const route = created.get(info.socketPath);
    if (route === undefined) {
      reject();
      return;
    }
    route.onUse?.();
    const channel = accept();
    const agent = createConnection(route.agentSocket);
    agent.on('error', () => channel.destroy());
    channel.on('error', () => agent.destroy());
    channel.once('close', () => agent.destroy());
    agent.once('close', () => channel.destroy());
    channel.pipe(agent).pipe(channel);
  });
  table = created;
  return table;
}

function sftpCall<T>(run: (done: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value as T))));
}

const lstatOf = (sftp: SFTPWrapper, path: string): Promise<Stats | undefined> =>
  sftpCall<Stats>((done) => sftp.lstat(path, done)).catch(() => undefined);

/** mkdir, then check what is there: a real folder of `uid`'s (never a symlink someone planted). */
async function ownFolder(sftp: SFTPWrapper, path: string, uid: number, mode: number, where: string): Promise<void> {
  await sftpCall<void>((done) => sftp.mkdir(path, { mode }, done)).catch(() => undefined);
  const info = await lstatOf(sftp, path);
  if (info === undefined || !info.isDirectory() || info.uid !== uid) {
    throw new OperationError('E_SSH_AGENT_FORWARD', `${path} on ${where} is not a folder of the SSH user's: the agent is not forwarded there.`, {
      hint: `Remove ${path} on ${where} (it may be left from an engine restart), then run the command again.`,
    });
  }
  if ((info.mode & 0o7777) !== mode) await sftpCall<void>((done) => sftp.chmod(path, mode, done));
}

/**
 * Serves `agentSocket` (this machine's agent) at `<hostDir>/agent.sock` on
 * the connection's host until close(). `key` names the folder (the
 * container's name), so the same container always gets the same folder.
 */
export async function forwardAgentToHost(connection: SshConnection, key: string, agentSocket: string, onUse?: () => void): Promise<AgentForward> {
  checkAgentKey(key);
  const where = connection.options.host;
  const client = await connection.ready();
  const sftp = await connection.sftp();
  let hostDir: string;
  let socketPath: string;
  try {
    // The login's uid: its home folder is its own.
    const home = await sftpCall<Stats>((done) => sftp.stat('.', done));
    const base = agentBaseDir(home.uid);
    await ownFolder(sftp, base, home.uid, 0o700, where);
    hostDir = `${base}/${key}`;
    await ownFolder(sftp, hostDir, home.uid, 0o711, where);
    socketPath = `${hostDir}/${AGENT_SOCKET_NAME}`;
    // A socket left by a dropped connection would make sshd refuse to bind
    // where StreamLocalBindUnlink is off.
    await sftpCall<void>((done) => sftp.unlink(socketPath, done)).catch(() => undefined);
    const table = routeTable(client);
    await new Promise<void>((resolve, reject) => client.openssh_forwardInStreamLocal(socketPath, (error) => (error ? reject(error) : resolve())));
    table.set(socketPath, { agentSocket, onUse });
    // sshd makes it 0600 (StreamLocalBindMask); the container's user needs to connect.
    await sftpCall<void>((done) => sftp.chmod(socketPath, 0o666, done));
  } catch (error) {
    if (error instanceof OperationError) throw error;
    throw new OperationError('E_SSH_AGENT_FORWARD', `The SSH agent could not be forwarded to ${where}: ${errorMessage(error)}.`, {
      hint: 'The host must allow it (sshd_config: AllowStreamLocalForwarding yes); --no-ssh-agent does without.',
      cause: error,
    });
  } finally {
    sftp.end();
  }
  return {
    hostDir,
    close: async () => {
      routes.get(client)?.delete(socketPath);
      await new Promise<void>((resolve) => {
        try {
          client.openssh_unforwardInStreamLocal(socketPath, () => resolve());
        } catch {
          resolve();
        }
      });
    },
  };
}
