// Checks before anything is created on the engine: enough disk under the
// engine's root for the workspace (unless a volume of the project holds it
// already), and the configuration's hostRequirements
// against the engine host's resources. Failing here leaves nothing behind.

import { OperationError } from '../../common/errors.js';
import type { MergedDevcontainerConfig } from '../../devcontainer/index.js';
import type { EngineClient, EngineInfo } from '../../engine/index.js';
import type { ContainerInspect } from '../containers/container-info.js';
import { LABELS } from '../containers/labels.js';
import { formatBytes } from '../remote/remote-check.js';
import { volumeExists } from './volume.js';
import { decideGpus } from './gpu.js';

/** Head room on top of the workspace itself (image layers, logs, the container's own writes). */
export const DISK_HEADROOM_BYTES = 512 * 1024 ** 2;

/** The engine's usual data root: its free space is asked for alongside GET /info, which nearly always names it. */
export const USUAL_DOCKER_ROOT = '/var/lib/docker';

export interface PrerequisiteResult {
  freeDiskBytes: number | undefined;
  cpus: number;
  memoryBytes: number;
  warnings: string[];
}

/** Where the workspace goes: the volume named (--volume-name), else the existing container's, else the project's usual one. */
export interface WorkspaceVolume {
  named: string | undefined;
  fallback: string;
  /** The lookup of the project's existing container (its failure is the lookup's own error to report). */
  existing: Promise<ContainerInspect | undefined>;
  /** Filled with what was found out (volume name → exists), so that later steps need not ask again. */
  seen?: Map<string, boolean>;
}

/**
 * That volume's name when it exists already, else undefined. Such a volume
 * holds the workspace (a finished upload, or the part of one an interrupted
 * upload sent, which the next upload writes over): it is not counted again.
 */
export async function existingWorkspaceVolume(engine: EngineClient, volume: WorkspaceVolume): Promise<string | undefined> {
  const usual = volume.named ?? volume.fallback;
  // Asked for while the lookup runs: it is nearly always the one.
  const usualExists = volumeExists(engine, usual);
  usualExists.catch(() => undefined);
  const existing = await volume.existing.catch(() => undefined);
  const name = volume.named ?? existing?.Config.Labels?.[LABELS.volumeName] ?? usual;
  const exists = await (name === usual ? usualExists : volumeExists(engine, name));
  volume.seen?.set(name, exists);
  return exists ? name : undefined;
}

/** "X asked for, Y free": with as many decimals as it takes for the two to differ. */
export function shortfall(required: number, available: number, what: string): string {
  let digits = 1;
  while (digits < 3 && formatBytes(required, digits) === formatBytes(available, digits)) digits++;
  return `${formatBytes(required, digits)} asked for, ${formatBytes(available, digits)} ${what}`;
}

export async function checkPrerequisites(
  engine: EngineClient,
  merged: MergedDevcontainerConfig,
  options: {
    workspaceBytes: number;
    /** The volume the workspace goes into: when it exists, only the head room is needed. */
    volume?: WorkspaceVolume;
    where: string;
    info?: Promise<EngineInfo>;
  },
): Promise<PrerequisiteResult> {
  // On a remote host the free space costs an SSH exec: asked for the usual
  // root at once rather than after /info says where the root is.
  const usualFree = engine.hostDiskFree(USUAL_DOCKER_ROOT);
  usualFree.catch(() => undefined);
  const [info, intoVolume] = await Promise.all([options.info ?? engine.info(), options.volume === undefined ? undefined : existingWorkspaceVolume(engine, options.volume)]);
  const free = await (info.DockerRootDir === USUAL_DOCKER_ROOT ? usualFree : engine.hostDiskFree(info.DockerRootDir));
  const warnings: string[] = [];
  const workspaceBytes = intoVolume === undefined ? options.workspaceBytes : 0;
  const needed = workspaceBytes + DISK_HEADROOM_BYTES;
  if (free === undefined) {
    warnings.push(`could not read the free disk space under ${info.DockerRootDir} on ${options.where}`);
  } else if (free < needed) {
    const need =
      intoVolume === undefined
        ? `the workspace needs ${formatBytes(workspaceBytes)} plus ${formatBytes(DISK_HEADROOM_BYTES)} of head room`
        : `the container needs ${formatBytes(DISK_HEADROOM_BYTES)} of head room (the workspace is in the volume ${intoVolume} already)`;
    throw new OperationError(
      'E_DISK_FULL',
      `Not enough disk space on ${options.where}: ${formatBytes(free)} free under ${info.DockerRootDir}, but ${need}.`,
      { hint: 'Free some space there (e.g. `docker system prune`), or spawn on another host with --remote.' },
    );
  }
  const requirements = merged.hostRequirements;
  // A GPU the configuration cannot do without fails here, before anything is
  // built; the warnings come with the container (the image's metadata may add to them).
  decideGpus(requirements?.gpu, info, options.where);
  const short: string[] = [];
  if (requirements?.cpus !== undefined && info.NCPU < requirements.cpus) short.push(`${requirements.cpus} CPUs asked for, ${info.NCPU} available`);
  const memory = Number(requirements?.memory ?? 0);
  if (memory > 0 && info.MemTotal < memory) short.push(`memory: ${shortfall(memory, info.MemTotal, 'available')}`);
  const storage = Number(requirements?.storage ?? 0);
  if (storage > 0 && free !== undefined && free < storage) short.push(`storage: ${shortfall(storage, free, 'free')}`);
  // As in the reference CLI, a smaller host is a warning: the project may well run, only slower.
  if (short.length > 0) warnings.push(`${options.where} has less than the configuration's hostRequirements ask for (${short.join('; ')}); a bigger host can be chosen with --remote <id>`);
  return { freeDiskBytes: free, cpus: info.NCPU, memoryBytes: info.MemTotal, warnings };
}
