// The shortest argument that names a dev container again, for the commands
// pks suggests: the project name (`pks devcontainer shell webapp`, as `list`
// shows it) when that alone picks the container, else its container name,
// which is unique on its engine.

import { matchContainers, type MatchableContainer } from '../core/containers/container-match.js';

/** A project name that a shell and the terminal take as typed (labels can hold anything). */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * `listed`: every pks-managed container on the engine; `preferred`: the
 * user's own, as the commands that take the argument prefer them.
 */
export function containerReference<T extends MatchableContainer>(listed: readonly T[], target: T, preferred?: (container: T) => boolean): string {
  if (PLAIN_NAME.test(target.project)) {
    const { matches, rule } = matchContainers(listed, target.project, preferred);
    if (rule === 'project' && matches.length === 1 && matches[0]?.containerId === target.containerId) return target.project;
  }
  return target.name;
}
