// The Compose project name pks gives a project: the name of its dev
// container (user, project, short hash of path, host and user), so the same
// project always maps to the same Compose project and two users or two
// folders never share one. Compose accepts [a-z0-9_-], starting with a
// letter or digit (v2 refuses anything else; v1 silently drops it).

import { containerNameFor, type SpawnIdentity } from '../spawn/naming.js';

export function composeProjectName(identity: SpawnIdentity): string {
  return containerNameFor(identity)
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
}
