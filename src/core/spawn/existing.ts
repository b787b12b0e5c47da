// What spawn does with a container that already exists for the project:
// find it, start it, check it for drift (three ways) before plan.ts decides
// to reuse or replace it (rebuild, on the same volume), say why; and how it
// waits for a concurrent spawn of the same project.

import { cp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OperationError, UsageError, systemErrorCode } from '../../common/errors.js';
import type { LoadedDevcontainerConfig } from '../../devcontainer/index.js';
import { isEngineApiError, type EngineClient } from '../../engine/index.js';
import { ensurePrivateDir } from '../../store/files.js';
import { pksHome } from '../../store/remote-host-store.js';
import { inspectContainer, type ContainerInspect } from '../containers/container-info.js';
import { LABELS, managedFilter } from '../containers/labels.js';
import { writeHostFilesIntoVolume } from './config-sync.js';
import { readContainerFile } from './container-files.js';
import { CONFIG_FILES_LABEL, assessDrift, configFilePaths, hostFileDigests, parseFilesLabel, volumeFileDigests } from './drift.js';
import type { SpawnIdentity } from './naming.js';
import type { ExistingReason } from './plan.js';
import type { SpawnEvent, SpawnRequest } from './types.js';
import { writeUploadMarker, type UploadMarker } from './volume.js';
import { inWorkspace, type WorkspaceLayout } from './workspace-layout.js';

export async function findExistingContainer(engine: EngineClient, identity: SpawnIdentity): Promise<ContainerInspect | undefined> {
  const found = await engine.listContainers({
    all: true,
    filters: managedFilter({
      [LABELS.projectPath]: identity.projectPath,
      [LABELS.spawnedBy]: identity.localUser,
      [LABELS.remoteHost]: identity.hostId,
    }),
  });
  const newest = [...found].sort((a, b) => b.Created - a.Created)[0];
  return newest === undefined ? undefined : inspectContainer(engine, newest.Id);
}

export async function removeContainer(engine: EngineClient, id: string): Promise<void> {
  await engine.removeContainer(id, { force: true, missingOk: true });
}

/** Starts a stopped container; false when it was already running. */
export async function startIfStopped(engine: EngineClient, inspect: ContainerInspect): Promise<boolean> {
  if (inspect.State.Running) return false;
  await engine.startContainer(inspect.Id);
  return true;
}

/**
 * A container still in the `created` state this long after its creation is
 * taken as left behind by a spawn that died (a dropped connection cannot
 * clean up); younger, it is another spawn of the same project at work.
 */
export const UNFINISHED_AFTER_MS = 60_000;

/** Label naming the spawn at work on a container: `<hostname>:<pid>` of its pks process. */
export const SPAWN_OWNER_LABEL = 'pks.spawn.owner';

export function spawnOwner(): string {
  return `${os.hostname()}:${process.pid}`;
}

/**
 * True when the container's creator was a pks process on this machine that
 * no longer runs: then nobody is working on it and there is no need to wait.
 */
export function ownerIsGone(labels: Readonly<Record<string, string>>): boolean {
  const match = /^(.*):(\d+)$/.exec(labels[SPAWN_OWNER_LABEL] ?? '');
  if (match === null || match[1] !== os.hostname()) return false;
  try {
    process.kill(Number(match[2]), 0);
    return false;
  } catch (error) {
    return systemErrorCode(error) === 'ESRCH';
  }
}

/** When a container still in the `created` state is taken as left behind. */
export function unfinishedStaleAt(existing: ContainerInspect): number {
  return Date.parse(existing.Created) + UNFINISHED_AFTER_MS;
}

/** Never started, and nobody is at work on it: it is that old, or its pks process (of this machine) ended. */
export function isAbandoned(existing: ContainerInspect): boolean {
  return Date.now() >= unfinishedStaleAt(existing) || ownerIsGone(existing.Config.Labels ?? {});
}

const PEER_WAIT_MS = 10 * 60 * 1000;
const PEER_APPEAR_MS = 10_000;

export type PeerOutcome = { state: 'running'; inspect: ContainerInspect } | { state: 'gone' } | { state: 'stale' };

/**
 * Waits while another spawn of the project creates `name`: until it runs, is
 * removed (that spawn failed and cleaned up), or is still only created at
 * `staleAt` (that spawn died).
 */
export async function waitForPeerSpawn(engine: EngineClient, name: string, signal: AbortSignal | undefined, staleAt = Date.now() + PEER_WAIT_MS): Promise<PeerOutcome> {
  // The engine reserves a name before the container it belongs to can be
  // inspected: right after a 409 the other spawn's container may not be
  // visible yet, so "not found" only counts once it was seen or after a while.
  const appearBy = Date.now() + PEER_APPEAR_MS;
  let seen = false;
  while (signal?.aborted !== true) {
    let inspect: ContainerInspect;
    try {
      inspect = await inspectContainer(engine, name);
      seen = true;
    } catch (error) {
      if (!isEngineApiError(error, 404)) throw error;
      if (seen || Date.now() >= appearBy) return { state: 'gone' };
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    if (inspect.State.Running || inspect.State.Status !== 'created') return { state: 'running', inspect };
    if (Date.now() >= staleAt) return { state: 'stale' };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new OperationError('E_INTERRUPTED', `Interrupted while waiting for another spawn to create ${name}.`);
}

/** What the drift check found. */
export interface DriftCheck {
  /** Reloaded when the container's edits were copied here. */
  loaded: LoadedDevcontainerConfig;
  /** This machine's configuration is not the one the container was created from. */
  changed: boolean;
  /** What changed, for the message: `.devcontainer/devcontainer.json changed since x was created:`. */
  changedText: string;
}

interface DriftInput {
  request: SpawnRequest;
  existing: ContainerInspect;
  /** Where the existing container has its workspace. */
  layout: WorkspaceLayout;
  /** Its volume's upload marker (undefined: no upload into it finished). */
  marker: UploadMarker | undefined;
  loaded: LoadedDevcontainerConfig;
  emit: (event: SpawnEvent) => void;
  reload: () => Promise<LoadedDevcontainerConfig>;
}

/**
 * Copies the project's config folder aside before the container's version
 * replaces files in it: under pks's own folder (`<PKS_HOME>/backups/`), never
 * in the project, where git would list the copy and the next upload carry it.
 */
async function backUpHostConfig(loaded: LoadedDevcontainerConfig, files: readonly string[], projectName: string, env: Readonly<Record<string, string | undefined>>): Promise<string> {
  const root = path.join(pksHome(env), 'backups');
  await ensurePrivateDir(root);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const backup = path.join(root, `${projectName.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}`);
  const copy = (relative: string) => cp(path.join(loaded.projectPath, relative), path.join(backup, relative), { errorOnExist: true, force: false });
  const folder = path.relative(loaded.projectPath, path.dirname(loaded.configFile));
  if (folder === '') {
    // A .devcontainer.json at the project's top: its folder is the whole
    // project, so only the files about to be replaced are copied.
    for (const file of files) await copy(file);
  } else {
    const outside = folder.startsWith('..') || path.isAbsolute(folder);
    const into = path.join(backup, outside ? path.basename(folder) : folder);
    await cp(path.dirname(loaded.configFile), into, { recursive: true, errorOnExist: true, force: false });
  }
  return backup;
}

/**
 * Compares the configuration three ways (this machine, the container's
 * label, the copy in its volume). Files edited inside the container are
 * settled first: kept (copied here, after a backup) or discarded, as
 * --prefer or the user says; without an answer, E_CONFIG_EDITED_INSIDE.
 */
export async function checkDrift(input: DriftInput): Promise<DriftCheck> {
  const { request, existing, layout, marker, emit } = input;
  const { engine } = request.target;
  let loaded = input.loaded;
  const name = existing.Name.replace(/^\//, '');
  const labels = existing.Config.Labels ?? {};
  const spawnFiles = parseFilesLabel(labels[CONFIG_FILES_LABEL]);
  // How pks last left the files in the volume; volumes of an earlier pks
  // have no such record, and their container's label stands in for it.
  const recorded = marker?.configFiles ?? spawnFiles;
  const paths = [...new Set([...Object.keys(spawnFiles), ...Object.keys(recorded), ...configFilePaths(loaded.configHash.inputs)])];
  const hostFiles = await hostFileDigests(loaded.projectPath, paths);
  const volumeFiles = await volumeFileDigests(engine, existing.Id, layout, paths);
  const drift = assessDrift({ labelHash: labels[LABELS.configHash], hostHash: loaded.configHash.hash, spawnFiles, hostFiles, volumeFiles, recorded });
  const editedInside = drift.volumeFiles.filter((file) => volumeFiles[file] !== hostFiles[file]);

  if (editedInside.length > 0) {
    const choice = request.prefer ?? (await request.host.resolveVolumeChanges?.(editedInside));
    if (choice === undefined) {
      throw new UsageError(`The dev container configuration was edited inside the container ${name}: ${editedInside.join(', ')}.`, {
        code: 'E_CONFIG_EDITED_INSIDE',
        hint: `Pass --prefer container to keep those edits (copied back here after backing up ${path.relative(loaded.projectPath, path.dirname(loaded.configFile))}), or --prefer host to discard them.`,
      });
    }
    if (choice === 'container') {
      const backup = await backUpHostConfig(loaded, editedInside, request.projectName ?? path.basename(loaded.projectPath), request.env);
      for (const file of editedInside) {
        const data = await readContainerFile(engine, existing.Id, inWorkspace(layout, file));
        if (data !== undefined) await writeFile(path.join(loaded.projectPath, file), data);
      }
      emit({ type: 'info', message: `Kept the container's ${editedInside.join(', ')} (copied here; the previous version is in ${backup}).` });
      loaded = await input.reload();
    } else {
      await writeHostFilesIntoVolume(engine, existing.Id, { layout, projectPath: loaded.projectPath, remoteUser: labels[LABELS.remoteUser] }, editedInside);
      emit({ type: 'info', message: `Discarded the container's edits to ${editedInside.join(', ')} (replaced by this machine's version).` });
    }
    // Both sides agree on these files now.
    if (marker !== undefined) {
      const agreed = await hostFileDigests(loaded.projectPath, editedInside);
      await writeUploadMarker(engine, existing.Id, layout, { ...recorded, ...agreed });
    }
  }

  const hostChanged = labels[LABELS.configHash] !== loaded.configHash.hash;
  const otherConfig = labels[LABELS.configFile] !== undefined && labels[LABELS.configFile] !== loaded.configFile;
  const changed = otherConfig
    ? `${name} was created from ${path.relative(loaded.projectPath, labels[LABELS.configFile] ?? '')}, not ${path.relative(loaded.projectPath, loaded.configFile)}:`
    : `${drift.hostFiles.length > 0 ? drift.hostFiles.join(', ') : 'the configuration'} changed since ${name} was created:`;
  return { loaded, changed: hostChanged, changedText: changed };
}

/** Why the existing container is replaced, or reused in spite of a change: the message that says so. */
export function existingMessage(reason: ExistingReason, name: string, request: SpawnRequest, changedText: string | undefined): SpawnEvent | undefined {
  switch (reason) {
    case 'unfinished':
      return { type: 'info', message: `${name} was left unfinished by an earlier spawn: replacing it.` };
    case 'force':
      return { type: 'info', message: `Replacing ${name} (--force); the workspace volume and its files are kept.` };
    case 'rebuild':
      return { type: 'info', message: `Rebuilding ${name}${request.rebuildReason === undefined ? '' : ` (${request.rebuildReason})`}.` };
    case 'drift':
      return { type: 'info', message: `${changedText ?? ''} rebuilding it (the workspace volume is kept).` };
    case 'no-rebuild':
      return { type: 'warning', message: `${changedText ?? ''} reusing it anyway (--no-rebuild).` };
    case 'unchanged':
      return undefined;
  }
}
