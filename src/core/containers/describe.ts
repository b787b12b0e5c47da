// `pks devcontainer inspect`: everything pks knows about one container, from
// the engine (state, image, mounts) and its labels, plus whether the
// project's configuration on this machine still hashes to what the container
// was built from.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../common/errors.js';
import { containerName, labelsOf, remoteUserOf, workspaceFolderOf, type ContainerInspect } from './container-info.js';
import { activeForwards, forwardsTo, type ForwardInForce } from '../../store/forward-registry.js';
import { containerAddress } from './container-address.js';
import { LABELS } from './labels.js';
import { workspaceVolumeOf } from './lifecycle.js';

export type DriftStatus = 'unchanged' | 'changed' | 'unknown';

/** The JSON shape of `inspect --format json`. */
export interface DevcontainerDetails {
  project: string;
  containerId: string;
  name: string;
  host: string;
  foreign: boolean;
  state: { status: string; running: boolean; exitCode: number | null; startedAt: string | null; finishedAt: string | null };
  image: { name: string; id: string };
  createdAt: string;
  spawnedAt: string | null;
  spawnedBy: string | null;
  projectPath: string | null;
  configFile: string | null;
  workspaceFolder: string;
  remoteUser: string | null;
  volume: { name: string; mountedAt: string | null } | null;
  config: { hash: string | null; currentHash: string | null; drift: DriftStatus; reason: string | null };
  /** Its address on the engine's machine; null when it has none. */
  address: string | null;
  /** The forwards to it running on this machine. */
  forwards: ForwardInForce[];
  labels: Record<string, string>;
}

/** The engine's zero time for "never" (FinishedAt of a running container). */
const ZERO_TIME = '0001-01-01T00:00:00Z';

function time(value: string | undefined): string | null {
  return value === undefined || value === '' || value === ZERO_TIME ? null : value;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

interface DriftCheck {
  currentHash: string | null;
  drift: DriftStatus;
  reason: string | null;
}

async function isDirectory(folder: string): Promise<boolean> {
  try {
    return (await stat(folder)).isDirectory();
  } catch {
    return false;
  }
}

/** Hashes the project's configuration as spawn would and compares it with the label. */
export async function checkDrift(
  labels: Readonly<Record<string, string>>,
  options: { env: NodeJS.ProcessEnv; host: string },
): Promise<DriftCheck> {
  const recorded = nonEmpty(labels[LABELS.configHash]);
  const projectPath = nonEmpty(labels[LABELS.projectPath]) ?? nonEmpty(labels[LABELS.localFolder]);
  if (recorded === null) return { currentHash: null, drift: 'unknown', reason: 'the container carries no configuration hash' };
  if (projectPath === null) return { currentHash: null, drift: 'unknown', reason: 'the container does not record its project folder' };
  if (!(await isDirectory(projectPath))) {
    return { currentHash: null, drift: 'unknown', reason: `the project folder ${projectPath} is not on this machine` };
  }
  const configLabel = nonEmpty(labels[LABELS.configFile]);
  try {
    // The config engine loads only for `inspect`'s drift check, not for every lifecycle command.
    const { loadDevcontainerConfig } = await import('../../devcontainer/load-config.js');
    const loaded = await loadDevcontainerConfig(projectPath, {
      env: options.env,
      cwd: projectPath,
      configFile: configLabel === null ? undefined : path.resolve(projectPath, configLabel),
      remoteHost: options.host === 'local' ? undefined : options.host,
    });
    const currentHash = loaded.configHash.hash;
    return currentHash === recorded
      ? { currentHash, drift: 'unchanged', reason: null }
      : { currentHash, drift: 'changed', reason: `the configuration in ${projectPath} changed since the container was created (pks devcontainer rebuild applies it)` };
  } catch (error) {
    return { currentHash: null, drift: 'unknown', reason: `the configuration could not be read: ${errorMessage(error)}` };
  }
}

export async function describeDevcontainer(
  inspect: ContainerInspect,
  options: { env: NodeJS.ProcessEnv; host: string; project: string },
): Promise<DevcontainerDetails> {
  const labels = labelsOf(inspect);
  const volumeName = workspaceVolumeOf(inspect);
  const mount = (inspect.Mounts ?? []).find((m) => m.Name !== undefined && m.Name === volumeName);
  const remoteUser = remoteUserOf(inspect);
  const [drift, forwards] = await Promise.all([checkDrift(labels, options), activeForwards(options.env)]);
  return {
    project: options.project,
    containerId: inspect.Id,
    name: containerName(inspect),
    host: options.host,
    foreign: labels[LABELS.managed] !== 'true',
    state: {
      status: inspect.State.Status,
      running: inspect.State.Running,
      exitCode: inspect.State.Running ? null : (inspect.State.ExitCode ?? null),
      startedAt: time(inspect.State.StartedAt),
      finishedAt: time(inspect.State.FinishedAt),
    },
    image: { name: inspect.Config.Image ?? inspect.Image, id: inspect.Image },
    createdAt: inspect.Created,
    spawnedAt: nonEmpty(labels[LABELS.spawnDate]),
    spawnedBy: nonEmpty(labels[LABELS.spawnedBy]),
    projectPath: nonEmpty(labels[LABELS.projectPath]) ?? nonEmpty(labels[LABELS.localFolder]),
    configFile: nonEmpty(labels[LABELS.configFile]),
    workspaceFolder: workspaceFolderOf(inspect),
    remoteUser: remoteUser ?? null,
    volume: volumeName === undefined ? null : { name: volumeName, mountedAt: mount?.Destination ?? null },
    config: { hash: nonEmpty(labels[LABELS.configHash]), ...drift },
    address: containerAddress(inspect) ?? null,
    forwards: forwardsTo(forwards, options.host, inspect.Id),
    labels,
  };
}
