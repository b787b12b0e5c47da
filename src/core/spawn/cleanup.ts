// What a failed or interrupted spawn undoes. Each step registers the undoing
// of what it made (the volume it created, the container it created or whose
// create had no answer); once the container is started it is the user's and
// nothing is undone: the step says instead what a failure from there on
// leaves (the container, with its upload or hooks to resume). On failure the
// undoing runs last-registered first, into one report of what was removed.

import { errorMessage } from '../../common/errors.js';
import { isEngineApiError, type EngineClient } from '../../engine/index.js';
import { inspectContainer } from '../containers/container-info.js';
import { SPAWN_OWNER_LABEL, removeContainer, spawnOwner } from './existing.js';
import type { SpawnAftermath } from './failure.js';
import type { SpawnEvent } from './types.js';
import { removeVolume } from './volume.js';

/** What the undoing removed and could not remove, in the order it tried. */
export class CleanupReport {
  readonly removed: string[] = [];
  readonly notRemoved: string[] = [];
  /** `container 1a2b3c4d5e6f`, `volume x`: for the one-line notice. */
  readonly shortIds: string[] = [];
  reason: string | undefined;
  /**
   * False once a container of this run could not be removed: its volume
   * cannot be either (it is in use, or the engine is out of reach), so it is
   * not tried: one wait for an unreachable host is enough.
   */
  containerGone = true;
  /** A concurrent spawn's container took the name, and uses the volume now. */
  volumeTaken = false;

  async attempt(what: string, work: () => Promise<void>): Promise<boolean> {
    try {
      await work();
      this.removed.push(what);
      return true;
    } catch (error) {
      this.notRemoved.push(what);
      this.reason ??= errorMessage(error).replace(/\.$/, '');
      return false;
    }
  }

  aftermath(emit: (event: SpawnEvent) => void): SpawnAftermath {
    if (this.shortIds.length > 0) emit({ type: 'info', message: `Cleaned up what this run created: ${this.shortIds.join(', ')}.` });
    if (this.removed.length === 0 && this.notRemoved.length === 0) return { stage: 'nothing' };
    return { stage: 'cleaned', removed: [...this.removed], notRemoved: [...this.notRemoved], reason: this.reason };
  }
}

export type Undo = (engine: EngineClient, report: CleanupReport) => Promise<void>;

/**
 * The container a create with no answer may have made, by its name; only
 * this run's (its owner label): a concurrent spawn of the project may have
 * made one of that name. Undefined when there is none of this run's.
 */
async function madeByThisRun(engine: EngineClient, name: string): Promise<{ id: string; name: string } | 'another spawn' | undefined> {
  try {
    const found = await inspectContainer(engine, name);
    return found.Config.Labels?.[SPAWN_OWNER_LABEL] === spawnOwner() ? { id: found.Id, name } : 'another spawn';
  } catch (error) {
    if (isEngineApiError(error, 404)) return undefined;
    throw error;
  }
}

/** Removes the container this run created (without an id: its create had no answer, so it is looked up by name). */
export function undoContainer(created: { id?: string; name: string }): Undo {
  return async (engine, report) => {
    let container: { id?: string; name: string } | undefined = created;
    if (created.id === undefined) {
      try {
        const found = await madeByThisRun(engine, created.name);
        container = found === 'another spawn' ? undefined : found;
        if (found === 'another spawn') report.volumeTaken = true;
      } catch (error) {
        report.notRemoved.push(`the container ${created.name} (if the engine created it before the connection broke)`);
        report.reason = errorMessage(error).replace(/\.$/, '');
        report.containerGone = false;
        return;
      }
    }
    if (container?.id === undefined) return;
    const { id } = container;
    report.containerGone = await report.attempt(`the half-created container ${container.name}`, () => removeContainer(engine, id));
    if (report.containerGone) report.shortIds.push(`container ${id.slice(0, 12)}`);
  };
}

/** Removes the volume this run created, unless its container could not be removed or another spawn's uses it. */
export function undoVolume(volumeName: string): Undo {
  return async (engine, report) => {
    if (report.volumeTaken) return;
    if (!report.containerGone) report.notRemoved.push(`its new volume ${volumeName}`);
    else if (await report.attempt(`its new volume ${volumeName}`, () => removeVolume(engine, volumeName))) report.shortIds.push(`volume ${volumeName}`);
  };
}

/** The undoing each step registered, or what a failure leaves once the container is kept. */
export class SpawnCleanup {
  private undos: Undo[] = [];
  private kept: SpawnAftermath = { stage: 'nothing' };

  /** Undo this if a later step fails or the run is interrupted. */
  onFailure(undo: Undo): void {
    this.undos.push(undo);
  }

  /** The container is kept from here on: nothing is undone, and a failure leaves `aftermath`. */
  keep(aftermath: SpawnAftermath): void {
    this.undos = [];
    this.kept = aftermath;
  }

  /** Undoes what the steps registered (last first) and says what is left. */
  async unwind(engine: EngineClient, emit: (event: SpawnEvent) => void): Promise<SpawnAftermath> {
    if (this.undos.length === 0) return this.kept;
    const report = new CleanupReport();
    for (const undo of this.undos.reverse()) await undo(engine, report);
    this.undos = [];
    return report.aftermath(emit);
  }
}
