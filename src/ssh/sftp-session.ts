// One SFTP session for one look at the host (stat, statvfs, a small file),
// always ended afterwards.

import type { SFTPWrapper } from 'ssh2';
import type { SshConnection } from './connection.js';

/** `use` with a fresh SFTP session; `unavailable` when the host offers none. */
export async function withSftp<T>(connection: SshConnection, unavailable: (error: unknown) => T, use: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
  let sftp: SFTPWrapper;
  try {
    sftp = await connection.sftp();
  } catch (error) {
    return unavailable(error);
  }
  try {
    return await use(sftp);
  } finally {
    sftp.end();
  }
}
