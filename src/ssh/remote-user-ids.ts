// The uid and gid the SSH user has on the remote host: what files that user
// writes there belong to, and so what a dev container's user is changed to
// (updateRemoteUserUID). `id` is in POSIX and on every host pks supports; the
// answer is two numbers or nothing.

import type { SshConnection } from './connection.js';

export interface HostUserIds {
  uid: number;
  gid: number;
}

/** Parses `id -u; id -g` output: two whole numbers on two lines, else undefined. */
export function parseUserIds(output: string): HostUserIds | undefined {
  const match = /^(\d{1,10})\r?\n(\d{1,10})\r?\n?$/.exec(output);
  if (match === null) return undefined;
  const uid = Number(match[1]);
  const gid = Number(match[2]);
  return Number.isSafeInteger(uid) && Number.isSafeInteger(gid) ? { uid, gid } : undefined;
}

/** The SSH user's ids on the host; undefined when the host will not run `id` (a restricted shell, say). */
export async function remoteUserIds(connection: SshConnection): Promise<HostUserIds | undefined> {
  try {
    const answer = await connection.execOutput('id -u && id -g', { timeoutMs: 15_000, maxBytes: 256 });
    return answer.code === 0 ? parseUserIds(answer.stdout) : undefined;
  } catch {
    return undefined;
  }
}
