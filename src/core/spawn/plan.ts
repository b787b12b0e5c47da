// Spawn's decisions, apart from doing them: from what has been observed on
// the engine (the project's container and its state, its volume's upload
// marker, the drift check's answer, what the create said, what a concurrent
// spawn did) and the options, the steps to run, in order. Pure: no I/O. Some
// observations are made by steps themselves (a create that finds its name
// taken, the marker in a reused volume), so the plan goes as far as what is
// known, and the executor asks again after each step: the steps already run
// stay the plan's first ones.

import { withoutUndefined } from '../../common/defined.js';
import type { RebuildPolicy, SpawnResult } from './types.js';

/** What became of a concurrent spawn that was waited for. */
export type PeerState = 'running' | 'gone' | 'stale';

export interface SpawnState {
  force: boolean;
  rebuild: RebuildPolicy;
  /**
   * The project's container, found by its labels: none; never started and
   * another spawn at work on it (`unfinished`) or nobody any more
   * (`abandoned`: its pks process ended, or it is too old); or one that
   * was started once, running or stopped.
   */
  existing: 'none' | 'unfinished' | 'abandoned' | 'running' | 'stopped';
  /** After waiting for the spawn at work on the unfinished container. */
  unfinishedPeer?: PeerState;
  /** After reading the existing container's volume: an upload into it finished. */
  existingUploaded?: boolean;
  /** After the drift check: this machine's configuration differs from the one the container was created from. */
  configChanged?: boolean;
  /** What the container create answered: made, or the name was taken by a concurrent spawn. */
  createAnswer?: 'created' | 'name-taken';
  /** After waiting for the spawn that holds the name. */
  nameHolder?: PeerState;
  /** After checking the new container: its volume already holds a finished upload. */
  volumeUploaded?: boolean;
}

export type SpawnStep =
  /** Wait while another spawn creates the existing container. */
  | 'wait-for-other'
  /** The container of a concurrent spawn runs: it is the result. */
  | 'use-other'
  /** Read the existing container's upload marker. */
  | 'read-marker'
  /** Compare the configurations (three ways); settle edits made inside the container. */
  | 'check-drift'
  /** Use the running container as it is. */
  | 'reuse'
  /** Start the stopped container, and check that it keeps running. */
  | 'start-existing'
  /** Upload the workspace again into the existing container. */
  | 'resume-upload'
  /** Run the create-time hooks the container's markers do not list as done (and postStart after a start). */
  | 'finish-hooks'
  /** Say why the container is replaced; the new one takes over its volume. */
  | 'replace'
  | 'prepare-image'
  /** Remove the container being replaced (after the image is ready: a failed build leaves it as it was). */
  | 'remove-old'
  /** Labels and the create body of the new container. */
  | 'build-spec'
  /** Create the workspace volume unless it exists. */
  | 'ensure-volume'
  | 'create-container'
  /** Wait for the concurrent spawn whose container took the name. */
  | 'wait-for-name-holder'
  /** That spawn did not finish: fail. */
  | 'other-failed'
  /** The users the container runs as exist in its image; the volume holds a finished upload or not. */
  | 'check-container'
  | 'upload'
  /** The volume keeps its files; bring its copy of the configuration up to date. */
  | 'sync-config'
  | 'start'
  | 'verify-running'
  | 'run-hooks';

/** Why an existing container is replaced or kept. */
export type ExistingReason = 'unfinished' | 'force' | 'rebuild' | 'drift' | 'unchanged' | 'no-rebuild';

export interface SpawnPlan {
  steps: SpawnStep[];
  /** Known once the plan reaches its end: what the result will say. */
  outcome?: SpawnResult['outcome'];
  /** Known once the existing container is decided on. */
  reason?: ExistingReason;
}

export function planSpawn(state: SpawnState): SpawnPlan {
  switch (state.existing) {
    case 'none':
      return newContainer(state, [], 'created');
    case 'unfinished':
      if (state.unfinishedPeer === undefined) return { steps: ['wait-for-other'] };
      if (state.unfinishedPeer === 'running') return { steps: ['wait-for-other', 'use-other'], outcome: 'reused' };
      // Its spawn failed and removed it: as if there had been none.
      if (state.unfinishedPeer === 'gone') return newContainer(state, ['wait-for-other'], 'created');
      return newContainer(state, ['wait-for-other', 'replace'], 'rebuilt', 'unfinished');
    case 'abandoned':
      return newContainer(state, ['replace'], 'rebuilt', 'unfinished');
    case 'running':
    case 'stopped':
      return startedBefore(state);
  }
}

/** A container that was started once: reuse it, or replace it. */
function startedBefore(state: SpawnState): SpawnPlan {
  const steps: SpawnStep[] = ['read-marker'];
  if (state.existingUploaded === undefined) return { steps };
  if (state.force) return newContainer(state, [...steps, 'replace'], 'rebuilt', 'force');
  steps.push('check-drift');
  if (state.configChanged === undefined) return { steps };
  const reason: ExistingReason = state.rebuild === 'always' ? 'rebuild' : !state.configChanged ? 'unchanged' : state.rebuild === 'never' ? 'no-rebuild' : 'drift';
  if (reason === 'rebuild' || reason === 'drift') return newContainer(state, [...steps, 'replace'], 'rebuilt', reason);
  const running = state.existing === 'running';
  steps.push(running ? 'reuse' : 'start-existing');
  // The spawn that created it started it while uploading, then lost the engine.
  if (!state.existingUploaded) steps.push('resume-upload');
  steps.push('finish-hooks');
  return { steps, outcome: running ? 'reused' : 'started', reason };
}

/** A new container: in place of the existing one (`rebuilt`, on its volume), or the first. */
function newContainer(state: SpawnState, before: SpawnStep[], outcome: 'created' | 'rebuilt', reason?: ExistingReason): SpawnPlan {
  const plan = (steps: SpawnStep[], done?: SpawnResult['outcome']): SpawnPlan => withoutUndefined({ steps, outcome: done, reason });
  const steps: SpawnStep[] = [...before, 'prepare-image', ...(outcome === 'rebuilt' ? (['remove-old'] as const) : []), 'build-spec', 'ensure-volume', 'create-container'];
  if (state.createAnswer === undefined) return plan(steps);
  if (state.createAnswer === 'name-taken') {
    steps.push('wait-for-name-holder');
    if (state.nameHolder === undefined) return plan(steps);
    return state.nameHolder === 'running' ? plan([...steps, 'use-other'], 'reused') : plan([...steps, 'other-failed']);
  }
  steps.push('check-container');
  if (state.volumeUploaded === undefined) return plan(steps);
  // Upload first, then start: a container never started without its files is easier to recover.
  steps.push(state.volumeUploaded ? 'sync-config' : 'upload', 'start', 'verify-running', 'run-hooks');
  return plan(steps, outcome);
}
