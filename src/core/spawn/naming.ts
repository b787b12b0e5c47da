// Names of what spawn creates. They include the local user (several people
// can share one remote host without colliding) and a short hash of the
// project's absolute path and host (two folders with the same name stay
// apart), so that the same project always maps to the same names: a second
// spawn finds the first one's container, and two concurrent spawns race for
// one name, which the engine lets only one of them have.

import { createHash } from 'node:crypto';
import { sanitizeName } from '../containers/labels.js';

export interface SpawnIdentity {
  /** Absolute path of the project folder on this machine. */
  projectPath: string;
  /** The project's name (folder name unless --name). */
  projectName: string;
  /** `local` or the remote id. */
  hostId: string;
  /** The local user running pks. */
  localUser: string;
}

export function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 8);
}

export function containerNameFor(identity: SpawnIdentity): string {
  const user = sanitizeName(identity.localUser, 'user');
  const project = sanitizeName(identity.projectName);
  return `pks-${user}-${project}-${shortHash(identity.projectPath, identity.hostId, identity.localUser)}`;
}

export function volumeNameFor(identity: SpawnIdentity): string {
  return `${containerNameFor(identity)}-workspace`;
}

/**
 * The folder name under /workspaces. Unlike container names it keeps the
 * project's own spelling (spaces, unicode), only path separators and names
 * that mean something to the shell's path resolution are refused.
 */
export function workspaceDirName(projectName: string): string {
  const cleaned = projectName.replace(/[/\\\0]/g, '-').trim();
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'workspace' : cleaned;
}
