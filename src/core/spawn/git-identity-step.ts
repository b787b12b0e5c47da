// The spawn step that gives a new container the user's git identity: after
// the container is created and started, before the lifecycle hooks (a hook
// that commits then has an author). Never fails the spawn.

import { errorMessage } from '../../common/errors.js';
import { copyGitIdentity } from '../containers/git-identity.js';
import { remoteUserOf, type ContainerInspect } from '../containers/container-info.js';
import { refusedAsStopped } from './run.js';
import type { SpawnEvent, SpawnRequest } from './types.js';

/** This machine's git identity for the project, read while the engine works (undefined: not copied). */
export function readGitIdentity(request: SpawnRequest): Promise<{ name?: string; email?: string }> | undefined {
  if (request.gitIdentity === false || request.host.gitIdentity === undefined) return undefined;
  const identity = request.host.gitIdentity(request.projectPath);
  identity.catch(() => undefined); // reported where it is waited for
  return identity;
}

export async function giveGitIdentity(
  request: SpawnRequest,
  inspect: ContainerInspect,
  emit: (event: SpawnEvent) => void,
  local: Promise<{ name?: string; email?: string }> | undefined = readGitIdentity(request),
): Promise<void> {
  if (local === undefined) return;
  try {
    const identity = await local;
    const outcome = await copyGitIdentity(request.target.engine, inspect.Id, remoteUserOf(inspect), identity);
    if (outcome.kind === 'copied') {
      emit({ type: 'info', message: `Copied this machine's git ${outcome.keys.join(' and ')} into the container (--no-git-identity skips this).`, verbose: true });
    } else {
      emit({ type: 'info', message: `Git identity not copied: ${outcome.reason}.`, verbose: true });
    }
  } catch (error) {
    // A container that stopped fails the spawn: the caller reports its exit.
    if (request.signal?.aborted === true || refusedAsStopped(error)) throw error;
    emit({ type: 'warning', message: `Could not copy the git identity into the container: ${errorMessage(error)}` });
  }
}
