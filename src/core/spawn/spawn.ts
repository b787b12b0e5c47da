// `pks devcontainer spawn`: one pipeline for the local engine and for remote
// hosts. Configuration → prerequisites → existing container, observed here;
// then the plan (plan.ts: reuse, start, resume, replace, wait for a
// concurrent spawn, or create: image → volume → container → workspace upload
// → start → lifecycle hooks) run step by step (execute.ts). A failure or
// interruption before the container is ready removes what this run created
// (never a volume it reused; cleanup.ts); running spawn again converges.

import path from 'node:path';
import { loadDevcontainerConfig, type LoadedDevcontainerConfig } from '../../devcontainer/index.js';
import { inspectImage } from '../../image/index.js';
import type { ContainerInspect } from '../containers/container-info.js';
import { LABELS } from '../containers/labels.js';
import { serveAgent, type ServedAgent } from '../containers/ssh-agent.js';
import { composeSession, composeSteps } from '../compose/compose-steps.js';
import { composeProjectName } from '../compose/project-name.js';
import { SpawnCleanup } from './cleanup.js';
import { executeSpawn } from './execute.js';
import { findExistingContainer, isAbandoned } from './existing.js';
import { explainSpawnFailure } from './failure.js';
import { containerNameFor, volumeNameFor, workspaceDirName, type SpawnIdentity } from './naming.js';
import { readGitIdentity } from './git-identity-step.js';
import { PhaseClock } from './phase-clock.js';
import type { SpawnState } from './plan.js';
import { prerequisiteWarnings, startPrerequisiteChecks, type EngineFit } from './prerequisites.js';
import type { SpawnRun } from './run.js';
import type { SpawnEvent, SpawnRequest, SpawnResult } from './types.js';
import { fileCount, planUpload, readPlannedText, type UploadPlan } from './workspace-upload.js';

export type { SpawnEvent, SpawnHost, SpawnRequest, SpawnResult } from './types.js';

export async function spawnDevcontainer(request: SpawnRequest): Promise<SpawnResult> {
  const emit = (event: SpawnEvent): void => request.onEvent?.(event);
  const clock = new PhaseClock(emit, request.signal);
  const cleanup = new SpawnCleanup();
  let agent: ServedAgent | undefined;
  try {
    const { run, state } = await observe(request, emit, clock, cleanup);
      if (request.sshAgent !== undefined) {
        run.agent = await serveAgent(run.engine, run.containerName, request.sshAgent, run.existing?.Config.Labels?.[LABELS.sshAgentDir], (message) =>
          emit({ type: 'warning', message }),
        );
      }
      agent = run.agent;
    if (run.loaded.source.kind !== 'compose') return await executeSpawn(run, state);
    run.compose = composeSession(run, composeProjectName(run.identity));
    try {
      return await executeSpawn(run, state, composeSteps);
    } finally {
      await run.compose.endpoint?.close();
    }
  } catch (error) {
    const aftermath = await cleanup.unwind(request.target.engine, emit);
    throw explainSpawnFailure(error, {
      where: request.target.description,
      step: clock.stepOfFailure(),
      interrupted: request.signal?.aborted === true,
      aftermath,
    });
  } finally {
    await agent?.close().catch(() => undefined);
  }
}

/** What the planner starts from: the existing container, in the words of plan.ts. */
function existingState(existing: ContainerInspect | undefined): SpawnState['existing'] {
  if (existing === undefined) return 'none';
  // Never started: another spawn at work on it, or one that died before
  // the container was ready and could not clean up (the connection dropped).
  if (existing.State.Status === 'created') return isAbandoned(existing) ? 'abandoned' : 'unfinished';
  return existing.State.Running ? 'running' : 'stopped';
}

/**
 * Reads everything the plan starts from: the configuration (and runs
 * initializeCommand), the files to send, the host's prerequisites and the
 * project's existing container. Nothing on the engine changes here.
 */
async function observe(request: SpawnRequest, emit: (event: SpawnEvent) => void, clock: PhaseClock, cleanup: SpawnCleanup): Promise<{ run: SpawnRun; state: SpawnState }> {
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
  const loaded = await clock.run('config', 'Reading the dev container configuration', load);
  for (const warning of loaded.warnings) emit({ type: 'warning', message: warning.message });
  const initialize = loaded.config.initializeCommand;
  if (initialize !== undefined) {
    await clock.run('initialize', 'Running initializeCommand on this machine', () => request.host.runInitializeCommand(initialize, request.projectPath, request.signal));
  }
  const listed = await request.host.listFiles(request.projectPath, request.includeIgnored);
  const upload = await planUpload(request.projectPath, listed);
  for (const message of await uploadWarnings(request.projectPath, loaded, upload)) emit({ type: 'warning', message });
  const identity: SpawnIdentity = { projectPath: loaded.projectPath, projectName, hostId, localUser: request.localUser };
  // All only read from the engine: ask at the same time (the configured
  // image too, which a new container needs; prepare-image takes the answer).
  const lookup = findExistingContainer(engine, identity);
  const baseImage = loaded.source.kind === 'image' ? { image: loaded.source.image, inspect: inspectImage(engine, loaded.source.image) } : undefined;
  baseImage?.inspect.catch(() => undefined);
  const volumesSeen = new Map<string, boolean>();
  const checks = startPrerequisiteChecks(engine, loaded.merged, {
    workspaceBytes: upload.totalBytes,
    volume: { named: request.volumeName, fallback: volumeNameFor(identity), existing: lookup, seen: volumesSeen },
    where: request.target.description,
    info: engineInfo,
  });
  // One warning for all the host lacks, so the engine's part waits for the disk's to be told.
  const warnAbout = async (fit: EngineFit): Promise<void> => {
    for (const message of prerequisiteWarnings(request.target.description, fit, await checks.disk)) emit({ type: 'warning', message });
  };
  let diskCheck: Promise<void> | undefined;
  const [, existing] = await Promise.all([
    clock.run('prerequisites', `Checking ${request.target.description}`, async () => {
      const fit = await checks.engine;
      // A first container from an image that is there: the free disk (a new
      // SSH session on a remote host, more round trips than the rest) is
      // waited for later, before anything big is written (create-steps.ts).
      if ((await lookup.catch(() => undefined)) === undefined && deferrableDiskCheck(loaded)) {
        diskCheck = warnAbout(fit);
        diskCheck.catch(() => undefined);
      } else {
        await warnAbout(fit);
      }
    }),
    clock.run('existing', 'Looking for an existing container', () => lookup),
  ]);
  const run: SpawnRun = { request, engine, emit, clock, cleanup, identity, dirName, containerName: containerNameFor(identity), upload, loaded, reload: load, existing, baseImage, volumesSeen, engineInfo, diskCheck, gitIdentity: readGitIdentity(request) };
  return { run, state: { force: request.force, rebuild: request.rebuild, existing: existingState(existing) } };
}

/** A configured image and no Features: nothing is built before the container (a pull waits for the check: prepare-image). */
function deferrableDiskCheck(loaded: LoadedDevcontainerConfig): boolean {
  return loaded.source.kind === 'image' && Object.keys(loaded.config.features ?? {}).length === 0;
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
