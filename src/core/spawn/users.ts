// The users a container is made to run as must exist in its image. The engine
// does not check a remoteUser (it is only used by pks's own execs), so a
// missing one would give a container that "spawned" and then refuses every
// exec with exit 126; a missing containerUser makes the start fail with the
// engine's terse message. Both are checked on the created, not yet started
// container (one read of /etc/passwd), before anything is uploaded or run.

import { OperationError } from '../../common/errors.js';
import type { EngineClient } from '../../engine/index.js';
import { readContainerFile, userIdsIn, type UserIds } from './container-files.js';

export interface ConfiguredUsers {
  /** The user hooks and exec run as (remoteUser, else containerUser, else the image's USER). */
  remoteUser: string;
  /** From the configuration, as written; undefined when it does not set them. */
  configRemoteUser: string | undefined;
  containerUser: string | undefined;
  /** The image's own USER ('' for none). */
  imageUser: string;
  imageName: string;
}

interface Requirement {
  user: string;
  setting: string;
  code: 'E_REMOTE_USER_MISSING' | 'E_CONTAINER_USER_MISSING';
}

const IMAGE_USER = "The image's USER";

function requirements(users: ConfiguredUsers): Requirement[] {
  const list: Requirement[] = [];
  // The container's main process runs as containerUser, else as the image's USER.
  if (users.containerUser !== undefined && users.containerUser !== '') {
    list.push({ user: users.containerUser, setting: '"containerUser"', code: 'E_CONTAINER_USER_MISSING' });
  } else if (users.imageUser !== '') {
    list.push({ user: users.imageUser, setting: IMAGE_USER, code: 'E_CONTAINER_USER_MISSING' });
  }
  if (users.configRemoteUser !== undefined && users.configRemoteUser !== '') {
    list.push({ user: users.configRemoteUser, setting: '"remoteUser"', code: 'E_REMOTE_USER_MISSING' });
  }
  return list;
}

// root is uid 0 and gid 0 in every image (userIdsIn): no file to read for it.
const needsLookup = (part: string | undefined): boolean => part !== undefined && part !== '' && part !== 'root' && !/^\d+$/.test(part);

/** Whether `group` (a name) is in the bytes of an /etc/group. */
function hasGroup(groups: Buffer | undefined, group: string): boolean {
  if (groups === undefined) return group === 'root';
  return groups.toString('utf8').split('\n').some((line) => line.split(':')[0] === group);
}

/**
 * Fails with E_CONTAINER_USER_MISSING / E_REMOTE_USER_MISSING when a user (or
 * its `:group`) the container is to run as is not in the image; else returns
 * the remote user's uid:gid (undefined only if it could not be determined).
 */
export async function checkConfiguredUsers(engine: EngineClient, containerId: string, users: ConfiguredUsers): Promise<UserIds | undefined> {
  const wanted = [users.remoteUser, ...requirements(users).map((r) => r.user)];
  const [passwd, groups] = await Promise.all([
    wanted.some((spec) => needsLookup(spec.split(':')[0])) ? readContainerFile(engine, containerId, '/etc/passwd') : undefined,
    wanted.some((spec) => needsLookup(spec.split(':')[1])) ? readContainerFile(engine, containerId, '/etc/group') : undefined,
  ]);
  for (const { user, setting, code } of requirements(users)) {
    const [name = '', group] = user.split(':');
    const missingUser = userIdsIn(passwd, user) === undefined;
    const missingGroup = !missingUser && group !== undefined && needsLookup(group) && !hasGroup(groups, group);
    if (!missingUser && !missingGroup) continue;
    const what = missingUser ? 'user' : 'group';
    const file = missingUser ? '/etc/passwd' : '/etc/group';
    const named = setting.startsWith('"') ? `${setting}: "${user}"` : `${setting} "${user}"`;
    throw new OperationError(code, `${named} names a ${what} that does not exist in the image ${users.imageName} (${missingUser ? name : group} is not in its ${file}).`, {
      hint:
        setting === IMAGE_USER
          ? 'Fix the USER of the image, or set "containerUser" and "remoteUser" in devcontainer.json to a user the image has (root, or a numeric uid).'
          : `Create the ${what} in the image (RUN ${missingUser ? 'useradd' : 'groupadd'} in the Dockerfile, or a Feature such as common-utils), or change ${setting} in devcontainer.json to one the image has (root, or a numeric uid).`,
    });
  }
  return userIdsIn(passwd, users.remoteUser);
}
