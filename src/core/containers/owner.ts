// Whose dev container is it? Several people share a remote host (often under
// one SSH login), so the owner is the local user on the machine pks ran on,
// recorded at spawn in the pks.spawned.by label. This is a guard against
// acting on a colleague's container by mistake, not access control: anyone
// who reaches the engine can do anything to it.
//
// A container without the label (made by hand, or by another tool) has an
// unknown owner: it is listed by default and acted on without a question, as
// before owners were looked at, since hiding it could hide one's own work.

import os from 'node:os';

/** The local user name pks records and compares: $USER, else $LOGNAME, else the OS account. */
export function localUserName(env: NodeJS.ProcessEnv): string {
  const fromEnv = env.USER ?? env.LOGNAME;
  return fromEnv === undefined || fromEnv === '' ? os.userInfo().username : fromEnv;
}

export interface OwnedContainer {
  /** pks.spawned.by; null when the container has none. */
  spawnedBy: string | null;
}

/** True for a container `user` spawned, or one of unknown owner. */
export function isOwnedBy(container: OwnedContainer, user: string): boolean {
  return container.spawnedBy === null || container.spawnedBy === user;
}

/** The other user who spawned the container, or undefined when it is `user`'s (or nobody knows whose). */
export function otherOwner(container: OwnedContainer, user: string): string | undefined {
  return isOwnedBy(container, user) ? undefined : (container.spawnedBy ?? undefined);
}
