// `${devcontainerId}`: an identifier unique per dev container on an engine
// and stable across rebuilds. pks follows the spec's label-based computation
// (docs/specs/devcontainer-id-variable.md) over the labels that identify a
// dev container: the local folder and config file, as the reference CLI uses,
// plus the remote host for a remote engine — the same project spawned on two
// hosts is two dev containers. Locally the id equals the reference CLI's.

import { createHash } from 'node:crypto';

export const LOCAL_FOLDER_LABEL = 'devcontainer.local_folder';
export const CONFIG_FILE_LABEL = 'devcontainer.config_file';
export const REMOTE_HOST_LABEL = 'pks.remote.host';

/** The labels that identify the dev container of a project on an engine. */
export function devcontainerIdLabels(projectPath: string, configFile: string, remoteHost?: string): Record<string, string> {
  const labels: Record<string, string> = { [LOCAL_FOLDER_LABEL]: projectPath, [CONFIG_FILE_LABEL]: configFile };
  if (remoteHost !== undefined && remoteHost !== 'local') labels[REMOTE_HOST_LABEL] = remoteHost;
  return labels;
}

/** SHA-256 of the labels as compact JSON with sorted keys, in base 32, padded to 52 characters. */
export function devcontainerId(idLabels: Readonly<Record<string, string>>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(idLabels).sort()) sorted[key] = idLabels[key] ?? '';
  const digest = createHash('sha256').update(JSON.stringify(sorted), 'utf8').digest('hex');
  return BigInt(`0x${digest}`).toString(32).padStart(52, '0');
}
