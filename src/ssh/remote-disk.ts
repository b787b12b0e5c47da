// Free disk space on the remote host, asked through the SFTP subsystem's
// statvfs extension (OpenSSH's sftp-server has it): no command runs remotely
// and nothing is installed there.

import type { SFTPWrapper } from 'ssh2';
import * as z from '../common/zod-mini.js';
import type { SshConnection } from './connection.js';
import { withSftp } from './sftp-session.js';

const statvfsSchema = z.looseObject({ f_frsize: z.number(), f_bsize: z.number(), f_bavail: z.number() });

/** Bytes available to unprivileged users under `path`; undefined when the host will not say. */
export function remoteDiskFree(connection: SshConnection, path: string): Promise<number | undefined> {
  return withSftp(connection, () => undefined, (sftp) => statvfsFree(sftp, path));
}

async function statvfsFree(sftp: SFTPWrapper, path: string): Promise<number | undefined> {
  try {
    const info = await new Promise<unknown>((resolve, reject) =>
      sftp.ext_openssh_statvfs(path, (error, result: unknown) => (error ? reject(error) : resolve(result))),
    );
    const parsed = statvfsSchema.safeParse(info);
    if (!parsed.success) return undefined;
    return parsed.data.f_bavail * (parsed.data.f_frsize || parsed.data.f_bsize);
  } catch {
    return undefined;
  }
}

/**
 * Free disk space through one SFTP session kept open (for a long-lived
 * connection, the warm holder's): opening one costs three round trips
 * (channel, subsystem, version) before the statvfs itself.
 */
export class RemoteDiskProbe {
  private session: Promise<SFTPWrapper> | undefined;

  constructor(private readonly connection: SshConnection) {}

  /** Opens the session ahead of the first question. */
  prepare(): void {
    void this.open().catch(() => undefined);
  }

  async free(path: string): Promise<number | undefined> {
    const sftp = await this.open().catch(() => undefined);
    if (sftp === undefined) return remoteDiskFree(this.connection, path);
    return statvfsFree(sftp, path);
  }

  close(): void {
    void this.session?.then((sftp) => sftp.end(), () => undefined);
    this.session = undefined;
  }

  private open(): Promise<SFTPWrapper> {
    if (this.session !== undefined) return this.session;
    const session = this.connection.sftp();
    this.session = session;
    // A session the server ended is opened again on the next question.
    session.then(
      (sftp) => sftp.once('close', () => this.session === session && (this.session = undefined)),
      () => this.session === session && (this.session = undefined),
    );
    return session;
  }
}
