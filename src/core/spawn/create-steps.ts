// The steps that make a new container (the first, or one that replaces the
// existing container on its volume): image, volume, container, workspace,
// start, hooks. The volume and the container register their removal until
// the container starts; from then on it is kept.

import { OperationError, errorMessage } from '../../common/errors.js';
import { serializeMetadataLabel, substituteEntries, substitutionContext } from '../../devcontainer/index.js';
import { prepareImage, type PreparedImage } from '../../image/index.js';
import { isEngineApiError } from '../../engine/index.js';
import { inspectContainer, type ContainerInspect } from '../containers/container-info.js';
import { CREATE_HOOKS, hookCommands } from '../containers/hooks.js';
import { remoteFlagOf } from '../remote/engine-target.js';
import { LABELS } from '../containers/labels.js';
import { undoContainer, undoVolume } from './cleanup.js';
import { syncConfigIntoVolume } from './config-sync.js';
import { buildContainerSpec } from './container-spec.js';
import { CONFIG_FILES_LABEL, configFilePaths, hostFileDigests } from './drift.js';
import { SPAWN_OWNER_LABEL, removeContainer, spawnOwner, waitForPeerSpawn } from './existing.js';
import type { StepRunner } from './execute.js';
import { containerExitedError, initUnavailableError } from './failure.js';
import { volumeNameFor } from './naming.js';
import type { SpawnStep } from './plan.js';
import { reportDivergence } from './divergence.js';
import { giveGitIdentity } from './git-identity-step.js';
import { exitedOr, nameOf, needed, resultFor, runHooks, sendWorkspace, type SpawnRun } from './run.js';
import { checkConfiguredUsers } from './users.js';
import { decideGpus } from './gpu.js';
import { ensureVolume, labelsNewMountVolumes, readUploadMarker, volumeLabels } from './volume.js';
import { workspaceLayout, type WorkspaceLayout } from './workspace-layout.js';

export function remoteUserOf(prepared: PreparedImage): string {
  const user = prepared.merged.remoteUser ?? prepared.merged.containerUser ?? prepared.imageUser;
  return user === '' ? 'root' : user;
}

export function containerLabels(run: SpawnRun, prepared: PreparedImage, extra: {
  layout: WorkspaceLayout;
  volumeName: string;
  remoteUser: string;
  configFiles: Record<string, string>;
}): Record<string, string> {
  const { request, loaded } = run;
  const metadata = substituteEntries(prepared.metadata, substitutionContext(loaded, request.env));
  return {
    [LABELS.managed]: 'true',
    [LABELS.projectName]: run.identity.projectName,
    [LABELS.projectPath]: loaded.projectPath,
    [LABELS.spawnDate]: new Date().toISOString(),
    [LABELS.remoteHost]: request.target.hostId,
    [LABELS.volumeName]: extra.volumeName,
    [LABELS.workspaceFolder]: loaded.workspaceFolder,
    [LABELS.workspaceRoot]: extra.layout.root,
    [LABELS.spawnedBy]: request.localUser,
    [LABELS.remoteUser]: extra.remoteUser,
    [LABELS.configHash]: loaded.configHash.hash,
    [LABELS.localFolder]: loaded.projectPath,
    [LABELS.configFile]: loaded.configFile,
    [LABELS.metadata]: serializeMetadataLabel(metadata),
    [CONFIG_FILES_LABEL]: JSON.stringify(extra.configFiles),
    [SPAWN_OWNER_LABEL]: spawnOwner(),
  };
}

/** Each run's inspect of its new container, asked for before the start. */
const createdInspects = new WeakMap<SpawnRun, Promise<ContainerInspect>>();

const runsCreateHook = (run: SpawnRun): boolean => CREATE_HOOKS.some((hook) => hookCommands(preparedOf(run).merged, hook).length > 0);

const madeOf = (run: SpawnRun) => needed(run.made, 'the new container');
const idOf = (run: SpawnRun) => needed(run.containerId, 'the new container id');
const preparedOf = (run: SpawnRun) => needed(run.prepared, 'the image');

/** An upload this big waits for the free-disk answer before it starts; a smaller one goes at once (the answer is in before the container is kept). */
export const DISK_CHECK_BEFORE_UPLOAD_BYTES = 16 * 1024 ** 2;

/**
 * Starts the new container; from here on it is kept, whatever fails.
 * A free-disk check that was not waited for yet is, before that: when it
 * refuses, the container and its new volume are removed like any other
 * failure before this point.
 */
async function start(run: SpawnRun): Promise<void> {
  const id = idOf(run);
  await run.clock.run('start', 'Starting the container', () => run.engine.startContainer(id));
  await run.diskCheck;
  run.cleanup.keep({ stage: 'ready', container: run.containerName, pending: 'hooks' });
}

type NewContainerStep = Exclude<SpawnStep, 'wait-for-other' | 'use-other' | 'read-marker' | 'check-drift' | 'reuse' | 'start-existing' | 'resume-upload' | 'finish-hooks' | 'replace'>;

export const newContainerSteps: Record<NewContainerStep, StepRunner> = {
  async 'prepare-image'(run) {
    const { request, emit, engine } = run;
    // A pull writes to the host's disk: not before the free-disk answer.
    if (run.diskCheck !== undefined && (await run.baseImage?.inspect.catch(() => undefined)) === undefined) await run.diskCheck;
    run.prepared = await run.clock.run('image', 'Preparing the image', () =>
      prepareImage(engine, run.loaded, {
        env: request.env,
        onProgress: (event) => emit(event),
        signal: request.signal,
        noCache: request.noCache,
        labels: { [LABELS.managed]: 'true', [LABELS.spawnedBy]: request.localUser },
        findBuildkit: request.host.findBuildkit,
        engineInfo: run.engineInfo,
        // Unless the configuration was read again since and names another image.
        baseImage: run.loaded.source.kind === 'image' && run.loaded.source.image === run.baseImage?.image ? run.baseImage.inspect : undefined,
      }),
    );
  },

  async 'remove-old'(run) {
    const old = needed(run.existing, 'the container to replace');
    await run.clock.run('container', `Removing the old container ${nameOf(old)}`, () => removeContainer(run.engine, old.Id));
  },

  async 'build-spec'(run) {
    const { request, loaded, engine } = run;
    const prepared = preparedOf(run);
    const volumeName = request.volumeName ?? run.reuseVolume ?? volumeNameFor(run.identity);
    const remoteUser = remoteUserOf(prepared);
    const configFiles = await hostFileDigests(loaded.projectPath, configFilePaths(loaded.configHash.inputs));
    const layout = workspaceLayout(loaded, run.dirName);
    const labels = containerLabels(run, prepared, { layout, volumeName, remoteUser, configFiles });
    if (run.agent !== undefined) labels[LABELS.sshAgentDir] = run.agent.hostDir;
    const gpuRequirement = prepared.merged.hostRequirements?.gpu;
    const gpus = gpuRequirement === undefined || gpuRequirement === false ? undefined : decideGpus(gpuRequirement, await (run.engineInfo ?? engine.info()), request.target.description);
    for (const message of gpus?.warnings ?? []) run.emit({ type: 'warning', message });
    // A volume known not to exist is made by the engine with the container,
    // where the engine labels it so: one round trip instead of two.
    const withContainer = run.volumesSeen?.get(volumeName) === false && labelsNewMountVolumes(await (run.engineInfo ?? engine.info()));
    const spec = buildContainerSpec({
      imageName: prepared.imageName,
      merged: prepared.merged,
      labels,
      volumeName,
      volumeMountPoint: layout.mountPoint,
      workspaceFolder: loaded.workspaceFolder,
      remote: engine.kind === 'ssh',
      overrideCommandDefault: true,
      imageCommand: prepared.imageCommand,
      appPort: loaded.config.appPort,
      agentDir: run.agent?.hostDir,
      gpus: gpus?.request,
      newVolumeLabels: withContainer ? volumeLabels(labels) : undefined,
    });
    for (const message of spec.warnings) run.emit({ type: 'warning', message });
    run.made = { volumeName, remoteUser, configFiles, layout, labels, spec, volumeWithContainer: withContainer };
  },

  async 'ensure-volume'(run) {
    const { volumeName, labels, volumeWithContainer } = madeOf(run);
    if (volumeWithContainer === true) {
      // Made by the container create: removed with it if the spawn fails (a
      // create with no answer may have made it all the same).
      run.createdVolume = true;
      run.cleanup.onFailure(undoVolume(volumeName));
      return;
    }
    const created = await run.clock.run('volume', `Preparing the workspace volume ${volumeName}`, () =>
      ensureVolume(run.engine, volumeName, labels, run.volumesSeen?.get(volumeName)),
    );
    run.createdVolume = created;
    // Never a volume that was there before: it holds someone's work.
    if (created) run.cleanup.onFailure(undoVolume(volumeName));
  },

  async 'create-container'(run) {
    const { engine, containerName, cleanup } = run;
    const spec = needed(madeOf(run).spec, 'the create body');
    const created = await run.clock.run('container', `Creating the container ${containerName}`, async () => {
      try {
        return await engine.createContainer(containerName, spec.body);
      } catch (error) {
        if (isEngineApiError(error, 409)) return undefined;
        if (isEngineApiError(error)) throw initUnavailableError(error.engineMessage, engine.target, error) ?? error;
        // The create went out and no answer came back (the connection
        // broke, or Ctrl-C): the engine may have made the container all the same.
        if (!isEngineApiError(error)) cleanup.onFailure(undoContainer({ name: containerName }));
        throw error;
      }
    });
    if (created === undefined) return { observed: { createAnswer: 'name-taken' } };
    run.containerId = created;
    cleanup.onFailure(undoContainer({ id: created, name: containerName }));
    return { observed: { createAnswer: 'created' } };
  },

  async 'wait-for-name-holder'(run) {
    const { containerName } = run;
    // Another spawn of the same project created it first: use theirs.
    run.emit({ type: 'info', message: `Another spawn of this project is creating ${containerName}; waiting for it.` });
    const peer = await run.clock.run('start', 'Waiting for the other spawn', () => waitForPeerSpawn(run.engine, containerName, run.request.signal));
    if (peer.state === 'running') run.other = peer.inspect;
    return { observed: { nameHolder: peer.state } };
  },

  async 'other-failed'(run) {
    throw new OperationError('E_PEER_SPAWN_FAILED', `Another spawn of this project was creating ${run.containerName} and did not finish.`, {
      hint: 'Run the same command again.',
    });
  },

  async 'check-container'(run) {
    const { engine } = run;
    const id = idOf(run);
    const prepared = preparedOf(run);
    const { layout, remoteUser } = madeOf(run);
    // Before anything is uploaded or run: a user missing from the image
    // fails here, and this run's container and volume are removed. A new
    // volume is empty: no need to ask whether an upload finished there.
    const [marker, owner] = await Promise.all([
      run.createdVolume === true ? undefined : readUploadMarker(engine, id, layout),
      checkConfiguredUsers(engine, id, {
        remoteUser,
        configRemoteUser: prepared.merged.remoteUser,
        containerUser: prepared.merged.containerUser,
        imageUser: prepared.imageUser,
        // Named as configured: a missing user is the configured image's, not the -uid layer's.
        imageName: prepared.uidUpdatedFrom ?? prepared.imageName,
      }),
    ]);
    run.volumeMarker = marker;
    run.owner = owner;
    // What the hooks need of it (labels, environment, user) is fixed at
    // create: asked for alongside the upload, not after the start.
    if (runsCreateHook(run)) {
      const created = inspectContainer(engine, id);
      created.catch(() => undefined); // verify-running awaits it and reports its failure
      createdInspects.set(run, created);
    }
    return { observed: { volumeUploaded: marker !== undefined } };
  },

  async upload(run) {
    const { layout, remoteUser, configFiles } = madeOf(run);
    if (run.upload.totalBytes > DISK_CHECK_BEFORE_UPLOAD_BYTES) await run.diskCheck;
    await sendWorkspace(run, { id: idOf(run), layout, remoteUser, owner: run.owner, configFiles });
  },

  async 'sync-config'(run) {
    const { request, emit, engine, loaded } = run;
    const { layout, remoteUser, configFiles } = madeOf(run);
    const marker = needed(run.volumeMarker, "the volume's upload marker");
    emit({ type: 'info', message: `The volume already holds the workspace ${layout.root}: not uploading over it.` });
    await reportDivergence(request, { id: idOf(run), name: run.containerName }, layout, run.upload, emit, Object.keys(configFiles));
    const into = { layout, projectPath: loaded.projectPath, remoteUser };
    // A nicety: when it fails, the container still starts (the next spawn
    // may then ask about the volume's copy of the configuration).
    try {
      const updated = await syncConfigIntoVolume(engine, idOf(run), into, configFiles, marker.configFiles ?? run.previousRecord);
      if (updated.length > 0) emit({ type: 'info', message: `Updated the volume's ${updated.join(', ')} to this machine's version.` });
    } catch (error) {
      if (request.signal?.aborted === true) throw error;
      emit({ type: 'warning', message: `Could not bring the volume's copy of the configuration up to date: ${errorMessage(error)}` });
    }
  },

  start,

  async 'verify-running'(run) {
    // A create-time hook's exec finds a container that stopped (and the
    // spawn reports its exit as here): no inspect of its own, one round
    // trip fewer. Its settings come from the inspect made before the start.
    const created = createdInspects.get(run);
    if (created !== undefined) {
      run.inspect = await created;
      return;
    }
    const inspect = await inspectContainer(run.engine, idOf(run));
    if (!inspect.State.Running) throw await containerExitedError(run.engine, inspect, remoteFlagOf(run.request.target.hostId));
    run.inspect = inspect;
  },

  async 'run-hooks'(run, plan) {
    const inspect = needed(run.inspect, 'the started container');
    try {
      await giveGitIdentity(run.request, inspect, run.emit, run.gitIdentity);
    } catch (error) {
      throw await exitedOr(run, inspect.Id, error);
    }
    await run.clock.run('hooks', 'Running lifecycle hooks', () => runHooks(run, inspect, { freshContainer: true }));
    // The result needs the id, name and labels only, which hooks do not change.
    return { result: resultFor(run, inspect, needed(plan.outcome, 'the outcome')) };
  },
};
