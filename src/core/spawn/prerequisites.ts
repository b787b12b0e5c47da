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

/** What /info settles: the host's CPUs and memory, and what it lacks of the hostRequirements. */
export interface EngineFit {
  cpus: number;
  memoryBytes: number;
  short: string[];
}

/** The free disk: bytes (undefined: the host would not say), warnings, and a storage shortfall. */
export interface DiskFit {
  freeDiskBytes: number | undefined;
  warnings: string[];
  short: string[];
}

export interface PrerequisiteOptions {
  workspaceBytes: number;
  /** The volume the workspace goes into: when it exists, only the head room is needed. */
  volume?: WorkspaceVolume;
  where: string;
  info?: Promise<EngineInfo>;
}

/**
 * The checks, started at once and answered in two parts: what the engine's
 * /info settles (CPUs, memory, GPUs: `engine`), and the free disk (`disk`),
 * which on a remote host costs more round trips than /info (a new SSH
 * session) and so can be waited for later, before anything big is written.
 * Each part rejects with its own refusal; `disk` has a handler attached, so
 * an unwaited failure is never unhandled.
 */
export function startPrerequisiteChecks(
  engine: EngineClient,
  merged: MergedDevcontainerConfig,
  options: PrerequisiteOptions,
): { engine: Promise<EngineFit>; disk: Promise<DiskFit> } {
  const info = options.info ?? engine.info();
  // On a remote host the free space costs an SSH request: asked for the usual
  // root at once, and for another root as soon as /info names it.
  const usualFree = engine.hostDiskFree(USUAL_DOCKER_ROOT);
  usualFree.catch(() => undefined);
  const free = info.then((answer) => (answer.DockerRootDir === USUAL_DOCKER_ROOT ? usualFree : engine.hostDiskFree(answer.DockerRootDir)));
  const intoVolume = options.volume === undefined ? Promise.resolve(undefined) : existingWorkspaceVolume(engine, options.volume);
  const requirements = merged.hostRequirements;
  const fit = info.then((answer) => {
    // A GPU the configuration cannot do without fails here, before anything is
    // built; the warnings come with the container (the image's metadata may add to them).
    decideGpus(requirements?.gpu, answer, options.where);
    const short: string[] = [];
    if (requirements?.cpus !== undefined && answer.NCPU < requirements.cpus) short.push(`${requirements.cpus} CPUs asked for, ${answer.NCPU} available`);
    const memory = Number(requirements?.memory ?? 0);
    if (memory > 0 && answer.MemTotal < memory) short.push(`memory: ${shortfall(memory, answer.MemTotal, 'available')}`);
    return { cpus: answer.NCPU, memoryBytes: answer.MemTotal, short };
  });
  const disk = Promise.all([info, intoVolume, free]).then(([answer, volume, bytes]) => {
    const warnings: string[] = [];
    const workspaceBytes = volume === undefined ? options.workspaceBytes : 0;
    const needed = workspaceBytes + DISK_HEADROOM_BYTES;
    if (bytes === undefined) {
      warnings.push(`could not read the free disk space under ${answer.DockerRootDir} on ${options.where}`);
    } else if (bytes < needed) {
      const need =
        volume === undefined
          ? `the workspace needs ${formatBytes(workspaceBytes)} plus ${formatBytes(DISK_HEADROOM_BYTES)} of head room`
          : `the container needs ${formatBytes(DISK_HEADROOM_BYTES)} of head room (the workspace is in the volume ${volume} already)`;
      throw new OperationError(
        'E_DISK_FULL',
        `Not enough disk space on ${options.where}: ${formatBytes(bytes)} free under ${answer.DockerRootDir}, but ${need}.`,
        { hint: 'Free some space there (e.g. `docker system prune`), or spawn on another host with --remote.' },
      );
    }
    const storage = Number(requirements?.storage ?? 0);
    const short = storage > 0 && bytes !== undefined && bytes < storage ? [`storage: ${shortfall(storage, bytes, 'free')}`] : [];
    return { freeDiskBytes: bytes, warnings, short };
  });
  disk.catch(() => undefined);
  return { engine: fit, disk };
}

/**
 * The checks' warnings once both parts are in: the disk's, then one for
 * everything the host lacks of the configuration's hostRequirements.
 */
export function prerequisiteWarnings(where: string, fit: EngineFit, disk: DiskFit): string[] {
  const short = [...fit.short, ...disk.short];
  // As in the reference CLI, a smaller host is a warning: the project may well run, only slower.
  if (short.length === 0) return disk.warnings;
  return [...disk.warnings, `${where} has less than the configuration's hostRequirements ask for (${short.join('; ')}); a bigger host can be chosen with --remote <id>`];
}

/** Both parts of the checks, waited for together. */
export async function checkPrerequisites(engine: EngineClient, merged: MergedDevcontainerConfig, options: PrerequisiteOptions): Promise<PrerequisiteResult> {
  const checks = startPrerequisiteChecks(engine, merged, options);
  const [fit, disk] = await Promise.all([checks.engine, checks.disk]);
  return { cpus: fit.cpus, memoryBytes: fit.memoryBytes, freeDiskBytes: disk.freeDiskBytes, warnings: prerequisiteWarnings(options.where, fit, disk) };
}
