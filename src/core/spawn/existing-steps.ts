// The steps for a container that already exists for the project: wait for
// the spawn at work on it, read its volume's marker, check it for drift,
// reuse or start it (resuming an upload that did not finish, and the hooks),
// or say why it is replaced.

import { remoteFlagOf } from '../remote/engine-target.js';
import { inspectContainer } from '../containers/container-info.js';
import { LABELS } from '../containers/labels.js';
import { resolveUserIds } from './container-files.js';
import { CONFIG_FILES_LABEL, configFilePaths, hostFileDigests, parseFilesLabel } from './drift.js';
import { reportDivergence } from './divergence.js';
import { checkDrift, existingMessage, startIfStopped, unfinishedStaleAt, waitForPeerSpawn } from './existing.js';
import type { StepRunner } from './execute.js';
import { containerExitedError } from './failure.js';
import type { SpawnPlan, SpawnStep } from './plan.js';
import { nameOf, needed, resultFor, runHooks, sendWorkspace, type SpawnRun } from './run.js';
import { readUploadMarker } from './volume.js';
import { layoutOf } from './workspace-layout.js';

const existingOf = (run: SpawnRun) => needed(run.existing, 'the existing container');

/** Reused or started: the options that only shape a new container do nothing; say so. */
function warnReused(run: SpawnRun, plan: SpawnPlan): void {
  const { request, emit } = run;
  const existing = existingOf(run);
  const name = nameOf(existing);
  const because = existingMessage(plan.reason ?? 'unchanged', name, request, run.changedText);
  if (because !== undefined) emit(because);
  const unused = [
    ...(request.includeIgnored ? ['--include-ignored'] : []),
    ...(request.volumeName !== undefined && request.volumeName !== existing.Config.Labels?.[LABELS.volumeName] ? ['--volume-name'] : []),
  ];
  if (unused.length > 0) {
    emit({ type: 'warning', message: `${unused.join(' and ')} ${unused.length === 1 ? 'applies' : 'apply'} only when a container is created; ${name} is reused as it is (--force replaces it).` });
  }
}

/** Reuse (`start` false) or start the existing container; from here on it is kept whatever fails. */
async function useExisting(run: SpawnRun, plan: SpawnPlan, start: boolean): Promise<void> {
  const { engine, clock, request } = run;
  const existing = existingOf(run);
  const name = nameOf(existing);
  warnReused(run, plan);
  await clock.run('start', `Using the existing container ${name}`, () => (start ? startIfStopped(engine, existing) : Promise.resolve(false)));
  if (start) {
    const after = await inspectContainer(engine, existing.Id);
    if (!after.State.Running) throw await containerExitedError(engine, after, remoteFlagOf(request.target.hostId));
  }
  run.cleanup.keep({ stage: 'ready', container: name, pending: run.existingMarker === undefined ? 'upload' : 'hooks' });
  // Not uploaded over: say when this machine's files differ from the volume's copy.
  if (run.existingMarker !== undefined) {
    await reportDivergence(request, { id: existing.Id, name }, layoutOf(existing, run.dirName), run.upload, run.emit, configFilePaths(run.loaded.configHash.inputs));
  }
}

export const existingSteps: Record<Extract<SpawnStep, 'wait-for-other' | 'use-other' | 'read-marker' | 'check-drift' | 'reuse' | 'start-existing' | 'resume-upload' | 'finish-hooks' | 'replace'>, StepRunner> = {
  async 'wait-for-other'(run) {
    const existing = existingOf(run);
    const staleAt = unfinishedStaleAt(existing);
    run.emit({ type: 'info', message: `Another spawn of this project is creating ${nameOf(existing)}; waiting for it (at most ${Math.ceil((staleAt - Date.now()) / 1000)} s).` });
    const peer = await run.clock.run('start', 'Waiting for the other spawn', () => waitForPeerSpawn(run.engine, existing.Id, run.request.signal, staleAt));
    if (peer.state === 'running') run.other = peer.inspect;
    // Its spawn failed and removed it: as if there had been none.
    if (peer.state === 'gone') run.existing = undefined;
    return { observed: { unfinishedPeer: peer.state } };
  },

  async 'use-other'(run, plan) {
    return { result: resultFor(run, needed(run.other, "the other spawn's container"), plan.outcome ?? 'reused') };
  },

  async 'read-marker'(run) {
    const existing = existingOf(run);
    run.existingMarker = await readUploadMarker(run.engine, existing.Id, layoutOf(existing, run.dirName));
    return { observed: { existingUploaded: run.existingMarker !== undefined } };
  },

  async 'check-drift'(run) {
    const existing = existingOf(run);
    const drift = await checkDrift({
      request: run.request,
      existing,
      layout: layoutOf(existing, run.dirName),
      marker: run.existingMarker,
      loaded: run.loaded,
      emit: run.emit,
      reload: run.reload,
    });
    run.loaded = drift.loaded;
    run.changedText = drift.changedText;
    return { observed: { configChanged: drift.changed } };
  },

  async reuse(run, plan) {
    await useExisting(run, plan, false);
  },

  async 'start-existing'(run, plan) {
    await useExisting(run, plan, true);
  },

  async 'resume-upload'(run) {
    const { engine, emit, loaded } = run;
    const existing = existingOf(run);
    const name = nameOf(existing);
    emit({ type: 'info', message: `The workspace upload into ${name} did not finish: uploading it again.` });
    const configFiles = await hostFileDigests(loaded.projectPath, configFilePaths(loaded.configHash.inputs));
    const remoteUser = existing.Config.Labels?.[LABELS.remoteUser] ?? 'root';
    const owner = await resolveUserIds(engine, existing.Id, remoteUser);
    await sendWorkspace(run, { id: existing.Id, layout: layoutOf(existing, run.dirName), remoteUser, owner, configFiles });
    run.cleanup.keep({ stage: 'ready', container: name, pending: 'hooks' });
  },

  async 'finish-hooks'(run, plan) {
    const existing = existingOf(run);
    const started = plan.outcome === 'started';
    // Create-time hooks a previous run did not finish run now (their
    // markers say which); postStart belongs to each start.
    await run.clock.run('hooks', 'Checking lifecycle hooks', () => runHooks(run, existing, { postStart: started }));
    return { result: resultFor(run, existing, needed(plan.outcome, 'the outcome')) };
  },

  async replace(run, plan) {
    const existing = existingOf(run);
    const because = existingMessage(needed(plan.reason, 'the reason to replace'), nameOf(existing), run.request, run.changedText);
    if (because !== undefined) run.emit(because);
    const labels = existing.Config.Labels ?? {};
    run.reuseVolume = labels[LABELS.volumeName];
    // What the old container's volume recorded, for a volume of an earlier
    // pks: its label.
    run.previousRecord = run.existingMarker?.configFiles ?? parseFilesLabel(labels[CONFIG_FILES_LABEL]);
  },
};
