// Free disk space on the remote host, asked through the SFTP subsystem's
// statvfs extension (OpenSSH's sftp-server has it): no command runs remotely
// and nothing is installed there.

import * as z from '../common/zod-mini.js';
import type { SshConnection } from './connection.js';
import { withSftp } from './sftp-session.js';

const statvfsSchema = z.looseObject({ f_frsize: z.number(), f_bsize: z.number(), f_bavail: z.number() });

/** Bytes available to unprivileged users under `path`; undefined when the host will not say. */
export function remoteDiskFree(connection: SshConnection, path: string): Promise<number | undefined> {
  return withSftp(connection, () => undefined, async (sftp) => {
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
  });
}
