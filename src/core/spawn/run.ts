// One spawn run's working memory, shared by its steps (what was read, what
// was made), and what several steps do: send the workspace, run the hooks,
// make the result.

import { OperationError, isPksError } from '../../common/errors.js';
import type { LoadedDevcontainerConfig } from '../../devcontainer/index.js';
import type { ImageInspect, PreparedImage } from '../../image/index.js';
import { isEngineApiError, type EngineClient, type EngineInfo } from '../../engine/index.js';
import { hookTargetFor, inspectContainer, type ContainerInspect } from '../containers/container-info.js';
import { remoteFlagOf } from '../remote/engine-target.js';
import { runLifecycleHooks } from '../containers/hooks.js';
import { LABELS } from '../containers/labels.js';
import type { SpawnCleanup } from './cleanup.js';
import { chooseCompression } from './compression.js';
import type { UserIds } from './container-files.js';
import type { ComposeSession } from '../compose/compose-session.js';
import type { ContainerSpec } from './container-spec.js';
import { containerExitedError } from './failure.js';
import type { SpawnIdentity } from './naming.js';
import type { PhaseClock } from './phase-clock.js';
import { installDotfiles } from '../containers/dotfiles.js';
import type { ServedAgent } from '../containers/ssh-agent.js';
import type { SpawnEvent, SpawnRequest, SpawnResult } from './types.js';
import { uploadManifestEntry } from './upload-manifest.js';
import { uploadMarkerEntry, type UploadMarker } from './volume.js';
import { uploadBase, type WorkspaceLayout } from './workspace-layout.js';
import { fileCount, uploadWorkspace, type UploadPlan } from './workspace-upload.js';

/** What the new container is made from (the build-spec step). */
export interface NewContainer {
  volumeName: string;
  remoteUser: string;
  configFiles: Record<string, string>;
  layout: WorkspaceLayout;
  labels: Record<string, string>;
  /** The engine's create body; a Compose service has its override file instead. */
  spec?: ContainerSpec;
  /** The volume is new and made by the container create (the spec labels it). */
  volumeWithContainer?: boolean;
}

export interface SpawnRun {
  readonly request: SpawnRequest;
  readonly engine: EngineClient;
  readonly emit: (event: SpawnEvent) => void;
  readonly clock: PhaseClock;
  readonly cleanup: SpawnCleanup;
  readonly identity: SpawnIdentity;
  /** The folder under /workspaces. */
  readonly dirName: string;
  readonly containerName: string;
  readonly upload: UploadPlan;
  loaded: LoadedDevcontainerConfig;
  /** A Compose configuration's project (compose-steps.ts). */
  compose?: ComposeSession;
  readonly reload: () => Promise<LoadedDevcontainerConfig>;
  /** The project's container, as found. */
  existing: ContainerInspect | undefined;
  /** The configured image's inspect, asked for with the first reads (undefined: a build, or not asked). */
  readonly baseImage?: { image: string; inspect: Promise<ImageInspect | undefined> } | undefined;
  /** The volumes looked up so far: name → exists. */
  readonly volumesSeen?: ReadonlyMap<string, boolean>;
  /** The engine's GET /info, asked once while the configuration was read (GPUs, rootless engines). */
  readonly engineInfo?: Promise<EngineInfo> | undefined;
  /**
   * The free-disk check when it was not waited for with the other
   * prerequisites (a first container from an image that is there): waited
   * for before a pull, before a big upload, and before the new container is
   * kept (create-steps.ts).
   */
  readonly diskCheck?: Promise<void> | undefined;
  /** This machine's git identity, read (git config, a local process) while the engine works. */
  readonly gitIdentity?: Promise<{ name?: string; email?: string }> | undefined;
  /** Its volume's upload marker (read-marker). */
  existingMarker?: UploadMarker | undefined;
  /** What changed since it was created (check-drift). */
  changedText?: string;
  /** A concurrent spawn's container, once it runs. */
  other?: ContainerInspect;
  /** The volume and the configuration record the replaced container leaves to the new one. */
  reuseVolume?: string | undefined;
  previousRecord?: Record<string, string> | undefined;
  prepared?: PreparedImage;
  made?: NewContainer;
  createdVolume?: boolean;
  containerId?: string;
  /** The new container's volume's marker, and its remote user's ids (check-container). */
  volumeMarker?: UploadMarker | undefined;
  owner?: UserIds | undefined;
  inspect?: ContainerInspect;
  /** This machine's SSH agent, served for the container while spawn runs (a new container mounts its folder). */
  agent?: ServedAgent | undefined;
}

/** A value an earlier step of the plan provides. */
export function needed<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new OperationError('E_INTERNAL', `The spawn plan ran a step before the one that provides ${what}.`);
  return value;
}

export const nameOf = (inspect: ContainerInspect): string => inspect.Name.replace(/^\//, '');

export async function runHooks(run: SpawnRun, inspect: ContainerInspect, options: { freshContainer?: boolean; postStart?: boolean } = {}): Promise<void> {
  const { request, engine, emit } = run;
  const { target, merged } = hookTargetFor(engine, inspect, { onEvent: emit, remoteFlag: remoteFlagOf(request.target.hostId) });
  const onReady = request.onReady;
  const dotfiles = request.dotfiles;
  try {
    await runLifecycleHooks({ ...target, signal: request.signal }, merged, 'create', {
      ...options,
      onReady: onReady === undefined ? undefined : () => onReady({ containerName: target.containerName, workspaceFolder: target.workspaceFolder }),
      afterCreate: dotfiles === undefined ? undefined : async () => void (await installDotfiles(target, dotfiles, (message) => emit({ type: 'info', message }))),
    });
  } catch (error) {
    throw await exitedOr(run, inspect.Id, error);
  }
}

/**
 * The engine refused an exec because the container is not running: at the
 * exec's create (409), or at its start when the container stopped in
 * between (the engine says so with the container's state, or has dropped the
 * exec with it: 404). Callers check the container before they report it so.
 */
export function refusedAsStopped(error: unknown): boolean {
  if (!isEngineApiError(error)) return false;
  return /is not running/i.test(error.engineMessage) || (error.statusCode === 404 && /no such exec/i.test(error.engineMessage));
}

/**
 * What to report for `error` of an exec in the container: its exit when its
 * main process ended — the engine refuses the exec (409), or the exec races
 * the exit ("cannot exec in a stopped state", 126) — else `error` itself.
 */
export async function exitedOr(run: SpawnRun, id: string, error: unknown): Promise<unknown> {
  if (!refusedAsStopped(error) && !(isPksError(error) && error.code === 'E_HOOK_FAILED')) return error;
  const after = await inspectContainer(run.engine, id);
  if (after.State.Running) return error;
  return containerExitedError(run.engine, after, remoteFlagOf(run.request.target.hostId));
}

/** Streams the project into the container's workspace volume, owned by the remote user. */
export async function sendWorkspace(
  run: SpawnRun,
  into: { id: string; layout: WorkspaceLayout; remoteUser: string; owner: UserIds | undefined; configFiles: Record<string, string> },
): Promise<void> {
  const { request, engine, emit, clock, upload } = run;
  const { id, layout, remoteUser, owner } = into;
  const destination = layout.root;
  if (owner === undefined) emit({ type: 'warning', message: `user ${remoteUser} is not in the image's /etc/passwd; workspace files are owned by root` });
  const compression = request.compress === undefined ? await chooseCompression(engine, request.projectPath, upload) : { gzip: request.compress, reason: 'asked for' };
  emit({ type: 'info', message: `Upload ${compression.gzip ? 'compressed' : 'uncompressed'}: ${compression.reason}.`, verbose: true });
  const count = fileCount(upload);
  // Listed but not found: deleted in the work tree (as git will say), or a
  // name whose bytes are not UTF-8, which pks cannot name to the system.
  const undecodable = upload.missing.filter((file) => file.includes('\uFFFD'));
  if (undecodable.length > 0) {
    emit({ type: 'warning', message: `${undecodable.length} file name${undecodable.length === 1 ? ' is' : 's are'} not UTF-8 and left out of the upload: ${listSome(undecodable)}` });
  }
  const result = await clock.run('upload', `Uploading ${count} ${count === 1 ? 'file' : 'files'} to ${destination}`, () =>
    uploadWorkspace(engine, id, {
      projectPath: request.projectPath,
      planned: upload,
      destination,
      base: uploadBase(layout),
      uid: owner?.uid ?? 0,
      gid: owner?.gid ?? 0,
      gzip: compression.gzip,
      trailer: [uploadMarkerEntry(layout, into.configFiles), uploadManifestEntry(layout, upload)],
      onProgress: (progress) => emit({ type: 'upload-progress', ...progress }),
      signal: request.signal,
    }),
  );
  if (result.skippedLinks.length > 0) {
    emit({ type: 'warning', message: `${result.skippedLinks.length} symlink${result.skippedLinks.length === 1 ? ' points' : 's point'} above ${uploadBase(layout)} and ${result.skippedLinks.length === 1 ? 'was' : 'were'} left out (the engine refuses them): ${listSome(result.skippedLinks)}` });
  }
}

/** The first few of a list, for a message. */
function listSome(items: readonly string[], shown = 5): string {
  return items.length <= shown ? items.join(', ') : `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`;
}

export function resultFor(run: SpawnRun, inspect: ContainerInspect, outcome: SpawnResult['outcome']): SpawnResult {
  const labels = inspect.Config.Labels ?? {};
  return {
    outcome,
    containerId: inspect.Id,
    containerName: nameOf(inspect),
    remoteUser: labels[LABELS.remoteUser] ?? 'root',
    remoteWorkspaceFolder: labels[LABELS.workspaceFolder] ?? run.loaded.workspaceFolder,
    volumeName: labels[LABELS.volumeName] ?? '',
    remoteHost: run.request.target.hostId,
    configHash: labels[LABELS.configHash] ?? run.loaded.configHash.hash,
    timings: run.clock.timings,
  };
}
