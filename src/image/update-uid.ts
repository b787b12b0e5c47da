// updateRemoteUserUID: on Linux, files a dev container's user writes into the
// workspace or into bind mounts should belong to the person who spawned it
// (this machine's user for the local engine, the SSH user on a remote host).
// As the reference CLI does, pks builds a small image on top of the prepared
// one whose /etc/passwd and /etc/group give the remote user those ids, with
// its home chowned. It changes nothing when the user is not in the image,
// already has the ids, or the uid belongs to another user; when the gid is
// another group's, only the uid changes.

import type { Readable } from 'node:stream';
import { tarStream, type TarEntry } from '../common/tar/tar-writer.js';
import type { MergedDevcontainerConfig } from '../devcontainer/merge.js';
import type { EngineInfo, EngineProductName } from '../engine/index.js';

export interface HostIds {
  uid: number;
  gid: number;
}

/**
 * The user whose ids are changed, or undefined when none is: the option is
 * off, the user is root or given as a number (nothing to edit), the host's
 * ids are root's or unknown, or a local engine runs on a system other than
 * Linux (Docker Desktop maps the ids itself; the reference skips it there too).
 */
export function userToUpdate(
  merged: Pick<MergedDevcontainerConfig, 'updateRemoteUserUID' | 'remoteUser' | 'containerUser'>,
  imageUser: string,
  context: { engineKind: 'local' | 'ssh'; platform: NodeJS.Platform },
): string | undefined {
  if (merged.updateRemoteUserUID === false) return undefined;
  if (context.engineKind === 'local' && context.platform !== 'linux') return undefined;
  const user = (merged.remoteUser ?? merged.containerUser ?? imageUser).split(':')[0] ?? '';
  if (user === '' || user === 'root' || /^\d+$/.test(user)) return undefined;
  return user;
}

/**
 * Whether the engine runs as an ordinary user (rootless Docker, or Podman
 * reached as a non-root user): its containers' root is that user on the
 * host, and their other ids are mapped to subordinate ids, so giving the
 * remote user the host user's uid would not make its files that user's.
 */
export function rootlessEngine(info: Pick<EngineInfo, 'SecurityOptions'>, product: EngineProductName, hostIds: HostIds): boolean {
  if ((info.SecurityOptions ?? []).some((option) => option.split(',').includes('name=rootless'))) return true;
  return product === 'podman' && hostIds.uid !== 0;
}

/** Whether the host's ids are worth an image: root's never are (root exists in every image). */
export function idsToApply(ids: HostIds | undefined): HostIds | undefined {
  return ids === undefined || ids.uid === 0 ? undefined : ids;
}

/**
 * The script run as root in the build: POSIX sh and chown only, so images
 * without sed, awk, usermod or getent work too. Arguments: user, uid, gid.
 * Lines other than the ones changed are written back byte for byte.
 */
export const UPDATE_UID_SCRIPT = `#!/bin/sh
set -e
user="$1"; new_uid="$2"; new_gid="$3"
old_uid=''; old_gid=''; home=''; uid_taken_by=''; gid_taken_by=''
while IFS=: read -r name _ uid gid _ dir _ || [ -n "$name" ]; do
  if [ "$name" = "$user" ]; then old_uid="$uid"; old_gid="$gid"; home="$dir";
  elif [ "$uid" = "$new_uid" ] && [ -z "$uid_taken_by" ]; then uid_taken_by="$name"; fi
done < /etc/passwd
while IFS=: read -r name _ gid _ || [ -n "$name" ]; do
  if [ "$gid" = "$new_gid" ] && [ -z "$gid_taken_by" ]; then gid_taken_by="$name"; fi
done < /etc/group
if [ -z "$old_uid" ]; then echo "pks: $user is not in /etc/passwd: ids unchanged."; exit 0; fi
if [ "$old_uid" = "$new_uid" ] && [ "$old_gid" = "$new_gid" ]; then echo "pks: $user has $new_uid:$new_gid already."; exit 0; fi
if [ "$old_uid" != "$new_uid" ] && [ -n "$uid_taken_by" ]; then echo "pks: uid $new_uid belongs to $uid_taken_by: ids of $user unchanged."; exit 0; fi
if [ "$old_gid" != "$new_gid" ] && [ -n "$gid_taken_by" ]; then echo "pks: gid $new_gid belongs to the group $gid_taken_by: keeping gid $old_gid."; new_gid="$old_gid"; fi
if [ "$old_uid" = "$new_uid" ] && [ "$old_gid" = "$new_gid" ]; then echo "pks: ids of $user unchanged."; exit 0; fi
echo "pks: $user from $old_uid:$old_gid to $new_uid:$new_gid."
rewrite() { cat "$1.pks-new" > "$1"; rm -f "$1.pks-new"; }
: > /etc/passwd.pks-new
while IFS= read -r line || [ -n "$line" ]; do
  if [ "\${line%%:*}" = "$user" ]; then
    rest="\${line#*:}"; pass="\${rest%%:*}"; rest="\${rest#*:}"; rest="\${rest#*:}"; rest="\${rest#*:}"
    printf '%s:%s:%s:%s:%s\\n' "$user" "$pass" "$new_uid" "$new_gid" "$rest" >> /etc/passwd.pks-new
  else printf '%s\\n' "$line" >> /etc/passwd.pks-new; fi
done < /etc/passwd
rewrite /etc/passwd
if [ "$old_gid" != "$new_gid" ]; then
  : > /etc/group.pks-new
  while IFS= read -r line || [ -n "$line" ]; do
    name="\${line%%:*}"; rest="\${line#*:}"; pass="\${rest%%:*}"; rest="\${rest#*:}"; gid="\${rest%%:*}"
    case "$rest" in *:*) members="\${rest#*:}" ;; *) members='' ;; esac
    if [ "$gid" = "$old_gid" ]; then printf '%s:%s:%s:%s\\n' "$name" "$pass" "$new_gid" "$members" >> /etc/group.pks-new
    else printf '%s\\n' "$line" >> /etc/group.pks-new; fi
  done < /etc/group
  rewrite /etc/group
fi
if [ -n "$home" ] && [ "$home" != / ] && [ -d "$home" ]; then chown -R "$new_uid:$new_gid" "$home"; fi
`;

const SCRIPT = '/tmp/pks-update-uid.sh';

/**
 * The Dockerfile: the script copied in, then one RUN in exec form whose
 * arguments are the user and the ids as JSON strings (no shell ever splices
 * the user's name into a command), as root, then the image's USER again.
 */
export function updateUidDockerfile(baseImage: string, imageUser: string, user: string, ids: HostIds): string {
  const run = `RUN ${JSON.stringify(['/bin/sh', '-c', `sh ${SCRIPT} "$@" && rm -f ${SCRIPT}`, 'pks-update-uid', user, String(ids.uid), String(ids.gid)])}`;
  const asRoot = imageUser === '' || imageUser === 'root' || imageUser === '0';
  return [`FROM ${baseImage}`, `COPY pks-update-uid.sh ${SCRIPT}`, ...(asRoot ? [run] : ['USER root', run, `USER ${imageUser}`]), ''].join('\n');
}

export function updateUidContext(baseImage: string, imageUser: string, user: string, ids: HostIds): Readable {
  async function* entries(): AsyncGenerator<TarEntry> {
    yield { type: 'file', name: 'updateUID.Dockerfile', mode: 0o644, content: Buffer.from(updateUidDockerfile(baseImage, imageUser, user, ids)) };
    yield { type: 'file', name: 'pks-update-uid.sh', mode: 0o755, content: Buffer.from(UPDATE_UID_SCRIPT) };
  }
  return tarStream(entries());
}
