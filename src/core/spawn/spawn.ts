// `pks devcontainer spawn`: one pipeline for the local engine and for remote
// hosts. Configuration → prerequisites → existing container (drift policy) →
// image → volume → container → workspace upload → start → lifecycle hooks.
// A failure or interruption before the container is ready removes what this
// run created (never a volume it reused); running spawn again converges.

import path from 'node:path';
import { OperationError, errorMessage, isPksError } from '../../common/errors.js';
import {
  loadDevcontainerConfig,
  serializeMetadataLabel,
  substituteEntries,
  substitutionContext,
  type LoadedDevcontainerConfig,
} from '../../devcontainer/index.js';
import { isEngineApiError } from '../../engine/index.js';
import { prepareImage, type PreparedImage } from '../../image/index.js';
import { hookTargetFor, inspectContainer, type ContainerInspect } from '../containers/container-info.js';
import { runLifecycleHooks } from '../containers/hooks.js';
import { remoteFlagOf } from '../remote/engine-target.js';
import { LABELS } from '../containers/labels.js';
import { chooseCompression } from './compression.js';
import { resolveUserIds, type UserIds } from './container-files.js';
import { syncConfigIntoVolume } from './config-sync.js';
import { buildContainerSpec } from './container-spec.js';
import { CONFIG_FILES_LABEL, configFilePaths, hostFileDigests, parseFilesLabel } from './drift.js';
import { SPAWN_OWNER_LABEL, UNFINISHED_AFTER_MS, decideExisting, ownerIsGone, spawnOwner, findExistingContainer, removeContainer, startIfStopped, waitForPeerSpawn, type PeerOutcome } from './existing.js';
import { cleanUpAfterFailure, containerExitedError, explainSpawnFailure, type SpawnAftermath } from './failure.js';
import { containerNameFor, volumeNameFor, workspaceDirName, type SpawnIdentity } from './naming.js';
import { PhaseClock } from './phase-clock.js';
import { checkPrerequisites } from './prerequisites.js';
import type { SpawnEvent, SpawnRequest, SpawnResult } from './types.js';
import { checkConfiguredUsers } from './users.js';
import { ensureVolume, readUploadMarker, uploadMarkerEntry } from './volume.js';
import { layoutOf, uploadBase, workspaceLayout, type WorkspaceLayout } from './workspace-layout.js';
import { fileCount, planUpload, readPlannedText, uploadWorkspace, type UploadPlan } from './workspace-upload.js';

export type { SpawnEvent, SpawnHost, SpawnRequest, SpawnResult } from './types.js';

function remoteUserOf(prepared: PreparedImage): string {
  const user = prepared.merged.remoteUser ?? prepared.merged.containerUser ?? prepared.imageUser;
  return user === '' ? 'root' : user;
}

function containerLabels(request: SpawnRequest, loaded: LoadedDevcontainerConfig, prepared: PreparedImage, extra: {
  layout: WorkspaceLayout;
  volumeName: string;
  projectName: string;
  remoteUser: string;
  configFiles: Record<string, string>;
}): Record<string, string> {
  const metadata = substituteEntries(prepared.metadata, substitutionContext(loaded, request.env));
  return {
    [LABELS.managed]: 'true',
    [LABELS.projectName]: extra.projectName,
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

export async function spawnDevcontainer(request: SpawnRequest): Promise<SpawnResult> {
  const emit = (event: SpawnEvent): void => request.onEvent?.(event);
  const clock = new PhaseClock(emit, request.signal);
  const aftermath: { current: SpawnAftermath } = { current: { stage: 'nothing' } };
  try {
    return await runPipeline(request, emit, clock, aftermath);
  } catch (error) {
    throw explainSpawnFailure(error, {
      where: request.target.description,
      step: clock.stepOfFailure(),
      interrupted: request.signal?.aborted === true,
      aftermath: aftermath.current,
    });
  }
}

async function runPipeline(request: SpawnRequest, emit: (event: SpawnEvent) => void, clock: PhaseClock, aftermath: { current: SpawnAftermath }): Promise<SpawnResult> {
  const { engine, hostId } = request.target;
  const projectName = request.projectName ?? path.basename(request.projectPath);
  const dirName = workspaceDirName(projectName);
  // Several configurations and no --config: the one the project's
  // container was created from, else the user's choice.
  const choose = async (candidates: readonly string[], defaultFile: string | undefined): Promise<string | undefined> => {
    const previous = await findExistingContainer(engine, { projectPath: path.resolve(request.projectPath), projectName, hostId, localUser: request.localUser });
    const previousFile = previous?.Config.Labels?.[LABELS.configFile];
    if (previous !== undefined && previousFile !== undefined && candidates.includes(previousFile)) {
      const shown = path.relative(request.cwd, previousFile) || previousFile;
      emit({ type: 'info', message: `Using ${shown}, which ${previous.Name.replace(/^\//, '')} was created from (--config chooses another).` });
      return previousFile;
    }
    return request.host.chooseConfig?.(candidates, defaultFile);
  };
  const load = () =>
    loadDevcontainerConfig(request.projectPath, {
      configFile: request.configFile,
      cwd: request.cwd,
      env: request.env,
      remoteHost: hostId,
      projectName: dirName,
      choose,
    });

  // GET /info is the engine's slowest read (~20 ms locally): asked now, it is
  // answered while the configuration is read. Only a read, so nothing is
  // left behind if the configuration turns out to be wrong; its failure is
  // reported where prerequisites wait for it.
  const engineInfo = engine.info();
  engineInfo.catch(() => undefined);
  let loaded = await clock.run('config', 'Reading the dev container configuration', load);
  for (const warning of loaded.warnings) emit({ type: 'warning', message: warning.message });
  const initialize = loaded.config.initializeCommand;
  if (initialize !== undefined) {
    await clock.run('initialize', 'Running initializeCommand on this machine', () => request.host.runInitializeCommand(initialize, request.projectPath, request.signal));
  }
  const listed = await request.host.listFiles(request.projectPath, request.includeIgnored);
  const upload = await planUpload(request.projectPath, listed);
  for (const message of await uploadWarnings(request.projectPath, loaded, upload)) emit({ type: 'warning', message });
  const identity: SpawnIdentity = { projectPath: loaded.projectPath, projectName, hostId, localUser: request.localUser };
  const containerName = containerNameFor(identity);
  let reuseVolume: string | undefined;
  let previousRecord: Record<string, string> | undefined;
  // All only read from the engine: ask at the same time.
  const lookup = findExistingContainer(engine, identity);
  let [, existing] = await Promise.all([
    clock.run('prerequisites', `Checking ${request.target.description}`, async () => {
      const result = await checkPrerequisites(engine, loaded.merged, {
        workspaceBytes: upload.totalBytes,
        volume: { named: request.volumeName, fallback: volumeNameFor(identity), existing: lookup },
        where: request.target.description,
        info: engineInfo,
      });
      for (const message of result.warnings) emit({ type: 'warning', message });
    }),
    clock.run('existing', 'Looking for an existing container', () => lookup),
  ]);
  if (existing !== undefined && existing.State.Status === 'created') {
    const outcome = await settleUnfinished(request, existing, emit, clock);
    if (outcome.state === 'running') return resultFor(request, outcome.inspect, 'reused', loaded, clock);
    if (outcome.state === 'gone') existing = undefined;
  }
  if (existing !== undefined) {
    // Never started and not being worked on: a previous spawn stopped before
    // the container was ready and could not clean up (e.g. the connection
    // dropped). Replace it; the volume's upload marker tells whether the
    // files must be sent again.
    const unfinished = existing.State.Status === 'created';
    if (unfinished) emit({ type: 'info', message: `${existing.Name.replace(/^\//, '')} was left unfinished by an earlier spawn: replacing it.` });
    const existingLayout = layoutOf(existing, dirName);
    const marker = unfinished ? undefined : await readUploadMarker(engine, existing.Id, existingLayout);
    const decision = unfinished
      ? { action: 'replace' as const, loaded }
      : await decideExisting({ request, existing, layout: existingLayout, marker, loaded, emit, reload: load });
    loaded = decision.loaded;
    if (decision.action === 'reuse') {
      const name = existing.Name.replace(/^\//, '');
      const unused = [
        ...(request.includeIgnored ? ['--include-ignored'] : []),
        ...(request.volumeName !== undefined && request.volumeName !== existing.Config.Labels?.[LABELS.volumeName] ? ['--volume-name'] : []),
      ];
      if (unused.length > 0) {
        emit({ type: 'warning', message: `${unused.join(' and ')} ${unused.length === 1 ? 'applies' : 'apply'} only when a container is created; ${name} is reused as it is (--force replaces it).` });
      }
      const started = await clock.run('start', `Using the existing container ${name}`, () => startIfStopped(engine, existing));
      if (started) {
        const after = await inspectContainer(engine, existing.Id);
        if (!after.State.Running) throw await containerExitedError(engine, after, remoteFlagOf(hostId));
      }
      aftermath.current = { stage: 'ready', container: name, pending: marker === undefined ? 'upload' : 'hooks' };
      // The spawn that created it started it while uploading, then lost the
      // engine before the upload finished: send the files again.
      if (marker === undefined) {
        emit({ type: 'info', message: `The workspace upload into ${name} did not finish: uploading it again.` });
        const configFiles = await hostFileDigests(loaded.projectPath, configFilePaths(loaded.configHash.inputs));
        const remoteUser = existing.Config.Labels?.[LABELS.remoteUser] ?? 'root';
        const owner = await resolveUserIds(engine, existing.Id, remoteUser);
        await sendWorkspace(request, clock, emit, { id: existing.Id, layout: existingLayout, remoteUser, owner, upload, configFiles });
        aftermath.current = { stage: 'ready', container: name, pending: 'hooks' };
      }
      // Create-time hooks a previous run did not finish run now (their
      // markers say which); postStart belongs to each start.
      await clock.run('hooks', 'Checking lifecycle hooks', () => runHooks(request, existing, 'create', emit, { postStart: started }));
      return resultFor(request, existing, started ? 'started' : 'reused', loaded, clock);
    }
    reuseVolume = existing.Config.Labels?.[LABELS.volumeName];
    // What the old container's volume recorded, for a volume of an earlier
    // pks: its label.
    previousRecord = marker?.configFiles ?? parseFilesLabel(existing.Config.Labels?.[CONFIG_FILES_LABEL]);
  }

  // The image comes first: a build that fails (a typo in the Dockerfile)
  // leaves the container being replaced as it was.
  const prepared = await clock.run('image', 'Preparing the image', () =>
    prepareImage(engine, loaded, { env: request.env, onProgress: (event) => emit(event), signal: request.signal, noCache: request.noCache }),
  );
  if (existing !== undefined) {
    const old = existing;
    await clock.run('container', `Removing the old container ${old.Name.replace(/^\//, '')}`, () => removeContainer(engine, old.Id));
  }
  const volumeName = request.volumeName ?? reuseVolume ?? volumeNameFor(identity);
  const remoteUser = remoteUserOf(prepared);
  const configFiles = await hostFileDigests(loaded.projectPath, configFilePaths(loaded.configHash.inputs));
  const layout = workspaceLayout(loaded, dirName);
  const labels = containerLabels(request, loaded, prepared, { layout, volumeName, projectName, remoteUser, configFiles });
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
  });
  for (const message of spec.warnings) emit({ type: 'warning', message });

  const createdVolume = await clock.run('volume', `Preparing the workspace volume ${volumeName}`, () =>
    ensureVolume(engine, volumeName, { ...labels, [LABELS.metadata]: '' }),
  );
  let containerId: string | undefined;
  // The create went out and no answer came back (the connection broke, or
  // Ctrl-C): the engine may have made the container all the same.
  let createUnanswered = false;
  try {
    const created = await clock.run('container', `Creating the container ${containerName}`, async () => {
      try {
        return await engine.createContainer(containerName, spec.body);
      } catch (error) {
        if (isEngineApiError(error, 409)) return undefined;
        createUnanswered = !isEngineApiError(error);
        throw error;
      }
    });
    if (created === undefined) {
      // Another spawn of the same project created it first: use theirs.
      emit({ type: 'info', message: `Another spawn of this project is creating ${containerName}; waiting for it.` });
      const peer = await clock.run('start', 'Waiting for the other spawn', () => waitForPeerSpawn(engine, containerName, request.signal));
      if (peer.state !== 'running') {
        throw new OperationError('E_PEER_SPAWN_FAILED', `Another spawn of this project was creating ${containerName} and did not finish.`, {
          hint: 'Run the same command again.',
        });
      }
      return resultFor(request, peer.inspect, 'reused', loaded, clock);
    }
    containerId = created;
    const id = created;
    const start = () => clock.run('start', 'Starting the container', () => engine.startContainer(id));
    // Before anything is uploaded or run: a user missing from the image
    // fails here, and this run's container and volume are removed. A new
    // volume is empty: no need to ask whether an upload finished there.
    const [marker, owner] = await Promise.all([
      createdVolume ? undefined : readUploadMarker(engine, id, layout),
      checkConfiguredUsers(engine, id, {
        remoteUser,
        configRemoteUser: prepared.merged.remoteUser,
        containerUser: prepared.merged.containerUser,
        imageUser: prepared.imageUser,
        imageName: prepared.imageName,
      }),
    ]);
    if (marker === undefined) {
      // Upload first, then start: the engine holds the container's lock for
      // either, so running them together gains nothing (measured: a small
      // upload then waited the whole ~200 ms start), and a container that
      // never started without its files is easier to recover.
      await sendWorkspace(request, clock, emit, { id, layout, remoteUser, owner, upload, configFiles });
      await start();
    } else {
      emit({ type: 'info', message: `The volume already holds the workspace ${layout.root}: not uploading over it.` });
      const into = { layout, projectPath: loaded.projectPath, remoteUser };
      // A nicety: when it fails, the container still starts (the next spawn
      // may then ask about the volume's copy of the configuration).
      try {
        const updated = await syncConfigIntoVolume(engine, id, into, configFiles, marker.configFiles ?? previousRecord);
        if (updated.length > 0) emit({ type: 'info', message: `Updated the volume's ${updated.join(', ')} to this machine's version.` });
      } catch (error) {
        if (request.signal?.aborted === true) throw error;
        emit({ type: 'warning', message: `Could not bring the volume's copy of the configuration up to date: ${errorMessage(error)}` });
      }
      await start();
    }
  } catch (error) {
    const created = containerId !== undefined ? { id: containerId, name: containerName } : createUnanswered ? { name: containerName } : undefined;
    aftermath.current = await cleanUpAfterFailure(engine, emit, created, createdVolume ? volumeName : undefined);
    throw error;
  }
  aftermath.current = { stage: 'ready', container: containerName, pending: 'hooks' };
  const inspect = await inspectContainer(engine, containerId);
  if (!inspect.State.Running) throw await containerExitedError(engine, inspect, remoteFlagOf(hostId));
  await clock.run('hooks', 'Running lifecycle hooks', () => runHooks(request, inspect, 'create', emit, { freshContainer: true }));
  // The result needs the id, name and labels only, which hooks do not change.
  return resultFor(request, inspect, existing === undefined ? 'created' : 'rebuilt', loaded, clock);
}

/** A container still being created: wait for the spawn at work on it, or take over from a dead one. */
async function settleUnfinished(request: SpawnRequest, existing: ContainerInspect, emit: (event: SpawnEvent) => void, clock: PhaseClock): Promise<PeerOutcome> {
  const name = existing.Name.replace(/^\//, '');
  const staleAt = Date.parse(existing.Created) + UNFINISHED_AFTER_MS;
  // Made by a pks process of this machine that has ended: no one to wait for.
  if (Date.now() >= staleAt || ownerIsGone(existing.Config.Labels ?? {})) return { state: 'stale' };
  emit({ type: 'info', message: `Another spawn of this project is creating ${name}; waiting for it (at most ${Math.ceil((staleAt - Date.now()) / 1000)} s).` });
  return clock.run('start', 'Waiting for the other spawn', () => waitForPeerSpawn(request.target.engine, existing.Id, request.signal, staleAt));
}

async function runHooks(
  request: SpawnRequest,
  inspect: ContainerInspect,
  phase: 'create' | 'start',
  emit: (event: SpawnEvent) => void,
  options: { freshContainer?: boolean; postStart?: boolean } = {},
): Promise<void> {
  const { target, merged } = hookTargetFor(request.target.engine, inspect, { onEvent: emit, remoteFlag: remoteFlagOf(request.target.hostId) });
  const onReady = request.onReady;
  try {
    await runLifecycleHooks({ ...target, ...(request.signal === undefined ? {} : { signal: request.signal }) }, merged, phase, {
      ...options,
      ...(onReady === undefined ? {} : { onReady: () => onReady({ containerName: target.containerName, workspaceFolder: target.workspaceFolder }) }),
    });
  } catch (error) {
    // The container's main process ended while the hooks ran: the engine
    // refuses the exec (409), or the exec races the exit ("cannot exec in a
    // stopped state", 126). Either way, that is what to report.
    const refused = isEngineApiError(error, 409) && /is not running/i.test(error.engineMessage);
    if (!refused && !(isPksError(error) && error.code === 'E_HOOK_FAILED')) throw error;
    const after = await inspectContainer(request.target.engine, inspect.Id);
    if (after.State.Running) throw error;
    throw await containerExitedError(request.target.engine, after, remoteFlagOf(request.target.hostId));
  }
}

/** Streams the project into the container's workspace volume, owned by the remote user. */
async function sendWorkspace(
  request: SpawnRequest,
  clock: PhaseClock,
  emit: (event: SpawnEvent) => void,
  into: { id: string; layout: WorkspaceLayout; remoteUser: string; owner: UserIds | undefined; upload: UploadPlan; configFiles: Record<string, string> },
): Promise<void> {
  const { engine } = request.target;
  const { id, layout, remoteUser, owner, upload } = into;
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
      trailer: [uploadMarkerEntry(layout, into.configFiles)],
      onProgress: (progress) => emit({ type: 'upload-progress', ...progress }),
      signal: request.signal,
    }),
  );
  if (result.skippedLinks.length > 0) {
    emit({ type: 'warning', message: `${result.skippedLinks.length} symlink${result.skippedLinks.length === 1 ? ' points' : 's point'} above ${uploadBase(layout)} and ${result.skippedLinks.length === 1 ? 'was' : 'were'} left out (the engine refuses them): ${listSome(result.skippedLinks)}` });
  }
}

/** What the user should know about the file set before it is sent. */
export async function uploadWarnings(projectPath: string, loaded: LoadedDevcontainerConfig, upload: UploadPlan): Promise<string[]> {
  const warnings: string[] = [];
  const byPath = new Map(upload.files.map((file) => [file.relative, file]));
  const configFile = path.relative(projectPath, loaded.configFile).split(path.sep).join('/');
  if (!configFile.startsWith('../') && !byPath.has(configFile)) {
    const count = fileCount(upload);
    warnings.push(`${configFile} is not among the files uploaded (git ignores it, or a repository above the project does): the volume gets ${count} file${count === 1 ? '' : 's'}; --include-ignored sends everything.`);
  }
  // A worktree's (or a submodule checkout's) .git is a file naming a folder of this machine.
  const gitFile = byPath.get('.git');
  if (gitFile?.kind === 'file') {
    const pointer = (await readPlannedText(projectPath, gitFile)).trim();
    warnings.push(`The project's .git is a file (${pointer || 'a git worktree'}): it names a folder on this machine, so git will not work inside the container. A clone of its own (not a worktree) works there.`);
  }
  return warnings;
}

/** The first few of a list, for a message. */
function listSome(items: readonly string[], shown = 5): string {
  return items.length <= shown ? items.join(', ') : `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`;
}

function resultFor(request: SpawnRequest, inspect: ContainerInspect, outcome: SpawnResult['outcome'], loaded: LoadedDevcontainerConfig, clock: PhaseClock): SpawnResult {
  const labels = inspect.Config.Labels ?? {};
  return {
    outcome,
    containerId: inspect.Id,
    containerName: inspect.Name.replace(/^\//, ''),
    remoteUser: labels[LABELS.remoteUser] ?? 'root',
    remoteWorkspaceFolder: labels[LABELS.workspaceFolder] ?? loaded.workspaceFolder,
    volumeName: labels[LABELS.volumeName] ?? '',
    remoteHost: request.target.hostId,
    configHash: labels[LABELS.configHash] ?? loaded.configHash.hash,
    timings: clock.timings,
  };
}
