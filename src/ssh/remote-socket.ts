// Explains why a unix socket on a remote host could not be opened. sshd only
// answers "open failed" for a refused streamlocal channel, so we look at the
// socket through SFTP (no shell, nothing installed): missing, not a socket,
// not writable by the login (group membership read from /etc/passwd and
// /etc/group), or writable but nothing listening. Runs on error paths only.

import type { SFTPWrapper, Stats } from 'ssh2';
import { errorMessage } from '../common/errors.js';
import type { SshConnection } from './connection.js';
import { withSftp } from './sftp-session.js';

export type RemoteSocketDiagnosis =
  | { status: 'missing' }
  | { status: 'not-a-socket' }
  /** The login cannot write to the socket; `group` is the group that can. */
  | { status: 'no-permission'; owner: string; group: string; mode: string }
  /** The login may connect, so nothing is listening behind the socket file. */
  | { status: 'not-listening' }
  | { status: 'unknown'; reason: string };

const S_IFMT = 0o170000;
const S_IFSOCK = 0o140000;
const SFTP_NO_SUCH_FILE = 2;
const DIAGNOSIS_TIMEOUT_MS = 5_000;

interface Account {
  uid: number;
  gids: Set<number>;
}

export async function diagnoseRemoteSocket(connection: SshConnection, socketPath: string): Promise<RemoteSocketDiagnosis> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<RemoteSocketDiagnosis>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'unknown', reason: 'the SFTP check timed out' }), DIAGNOSIS_TIMEOUT_MS);
    timer.unref();
  });
  try {
    return await Promise.race([diagnose(connection, socketPath), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function diagnose(connection: SshConnection, socketPath: string): Promise<RemoteSocketDiagnosis> {
  const unavailable = (error: unknown): RemoteSocketDiagnosis => ({ status: 'unknown', reason: `SFTP is not available (${errorMessage(error)})` });
  return withSftp(connection, unavailable, async (sftp) => {
    let stats: Stats;
    try {
      stats = await new Promise<Stats>((resolve, reject) =>
        sftp.stat(socketPath, (error, result) => (error ? reject(error) : resolve(result))),
      );
    } catch (error) {
      if (typeof error === 'object' && error !== null && 'code' in error && error.code === SFTP_NO_SUCH_FILE) {
        return { status: 'missing' };
      }
      return { status: 'unknown', reason: errorMessage(error) };
    }
    if (!isSocket(stats)) return { status: 'not-a-socket' };
    const [passwd, group] = await Promise.all([readText(sftp, '/etc/passwd'), readText(sftp, '/etc/group')]);
    const account = passwd === undefined || group === undefined ? undefined : findAccount(connection.options.username, passwd, group);
    if (account === undefined) {
      return { status: 'unknown', reason: `cannot tell the groups of ${connection.options.username}` };
    }
    if (canWrite(stats, account)) return { status: 'not-listening' };
    return {
      status: 'no-permission',
      owner: nameOf(passwd ?? '', stats.uid),
      group: nameOf(group ?? '', stats.gid),
      mode: (stats.mode & 0o777).toString(8).padStart(4, '0'),
    };
  });
}

export function readText(sftp: SFTPWrapper, path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    sftp.readFile(path, 'utf8', (error, data) => resolve(error ? undefined : data.toString()));
  });
}

/** Exported for unit tests: the uid and groups of a user from passwd/group text. */
export function findAccount(username: string, passwd: string, group: string): Account | undefined {
  const entry = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === username);
  if (entry === undefined) return undefined;
  const uid = Number(entry[2]);
  const gid = Number(entry[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  const gids = new Set<number>([gid]);
  for (const line of group.split('\n')) {
    const [, , groupId, members] = line.split(':');
    if (members?.split(',').includes(username)) gids.add(Number(groupId));
  }
  return { uid, gids };
}

export function isSocket(stats: Pick<Stats, 'mode'>): boolean {
  return (stats.mode & S_IFMT) === S_IFSOCK;
}

/** Unix permission check for connect(2) on a socket: it needs write access. */
export function canWrite(stats: Pick<Stats, 'mode' | 'uid' | 'gid'>, account: Account): boolean {
  if (account.uid === 0) return true;
  if (stats.uid === account.uid) return (stats.mode & 0o200) !== 0;
  if (account.gids.has(stats.gid)) return (stats.mode & 0o020) !== 0;
  return (stats.mode & 0o002) !== 0;
}

function nameOf(table: string, id: number): string {
  const entry = table
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[2] === String(id));
  return entry?.[0] ?? String(id);
}
