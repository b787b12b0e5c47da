// Collects the commands of each hook as they end, within one run of the
// hooks, and keeps the container's record of that hook up to date: the first
// command of a hook in a run starts a new record, the others join it.

import type { LifecycleHook } from '../../devcontainer/image-metadata.js';
import type { EngineClient } from '../../engine/index.js';
import { keptOutput, writeHookRecords, type HookRecord } from './hook-records.js';

interface RecordTarget {
  engine: EngineClient;
  containerId: string;
}

const runs = new WeakMap<RecordTarget, { hooks: Map<LifecycleHook, HookRecord[]>; writing: Promise<void> }>();

/**
 * Records one command's run. Writes go one after another (an object's
 * commands end in parallel), each alongside what the hooks do next: nothing
 * waits for one until `hookRecordsWritten`. A record that cannot be written
 * does not fail the hook: the output was shown as it came.
 */
export function recordHookRun(target: RecordTarget, hook: LifecycleHook, run: Omit<HookRecord, 'hook' | 'output'> & { output: string }): void {
  let state = runs.get(target);
  if (state === undefined) {
    state = { hooks: new Map(), writing: Promise.resolve() };
    runs.set(target, state);
  }
  const records = state.hooks.get(hook) ?? [];
  state.hooks.set(hook, records);
  records.push({ hook, ...run, output: keptOutput(run.output) });
  const snapshot = [...records];
  state.writing = state.writing.then(() => writeHookRecords(target.engine, target.containerId, hook, snapshot)).catch(() => undefined);
}

/** Once every record asked for so far is written (or failed to be). */
export async function hookRecordsWritten(target: RecordTarget): Promise<void> {
  await runs.get(target)?.writing;
}
