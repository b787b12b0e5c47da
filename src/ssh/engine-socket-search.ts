// Where a host's engine listens, when the Docker socket is not usable: a
// Podman host serves the same API on the login user's rootless socket
// (/run/user/<uid>/podman/podman.sock, what `systemctl --user enable --now
// podman.socket` makes) or, run as root, on /run/podman/podman.sock. Looked at
// through SFTP (stat and /etc/passwd, /etc/group): no command runs remotely.

import type { SFTPWrapper, Stats } from 'ssh2';
import { DEFAULT_DOCKER_SOCKET } from '../common/defaults.js';
import type { SshConnection } from './connection.js';
import { canWrite, findAccount, isSocket, readText } from './remote-socket.js';
import { withSftp } from './sftp-session.js';

/** The Podman sockets a login may use, in the order they are tried (the user's own first). */
export function podmanSocketCandidates(uid: number): string[] {
  return [`/run/user/${uid}/podman/podman.sock`, '/run/podman/podman.sock'];
}

/**
 * The first engine socket the login may connect to: the Docker socket, else a
 * Podman socket; undefined when none is there (or SFTP cannot tell).
 */
export function findEngineSocket(connection: SshConnection): Promise<string | undefined> {
  return withSftp(connection, () => undefined, async (sftp) => {
    const [passwd, group] = await Promise.all([readText(sftp, '/etc/passwd'), readText(sftp, '/etc/group')]);
    const account = passwd === undefined || group === undefined ? undefined : findAccount(connection.options.username, passwd, group);
    if (account === undefined) return undefined;
    for (const candidate of [DEFAULT_DOCKER_SOCKET, ...podmanSocketCandidates(account.uid)]) {
      const stats = await statOf(sftp, candidate);
      if (stats !== undefined && isSocket(stats) && canWrite(stats, account)) return candidate;
    }
    return undefined;
  });
}

function statOf(sftp: SFTPWrapper, path: string): Promise<Stats | undefined> {
  return new Promise((resolve) => {
    sftp.stat(path, (error, stats) => resolve(error ? undefined : stats));
  });
}
