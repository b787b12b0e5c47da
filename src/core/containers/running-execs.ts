// The processes exec'd into a container that are still running, as the
// engine knows them. The engine is the authority here: a pks killed while a
// lifecycle hook ran leaves the hook's process running in the container, and
// only the engine can tell (a marker written by pks would die with pks).
// The container's ExecIDs lists the execs not yet ended (an ended one leaves
// the container's list and stays inspectable for a while).

import { isEngineApiError, type EngineClient, type ExecInspect } from '../../engine/index.js';

export interface RunningExec {
  id: string;
  argv: string[];
}

/** One exec's state; undefined once the engine has forgotten it. */
async function execState(engine: EngineClient, id: string): Promise<ExecInspect | undefined> {
  try {
    return await engine.inspectExec(id);
  } catch (error) {
    if (isEngineApiError(error, 404)) return undefined;
    throw error;
  }
}

/** The execs running in the container now, with their command lines (the inspections go concurrently). */
export async function runningExecs(engine: EngineClient, containerId: string): Promise<RunningExec[]> {
  const { ExecIDs } = await engine.inspectContainer(containerId);
  const states = await Promise.all((ExecIDs ?? []).map((id) => execState(engine, id)));
  return states.flatMap((state) =>
    state?.Running === true ? [{ id: state.ID, argv: [state.ProcessConfig.entrypoint, ...(state.ProcessConfig.arguments ?? [])] }] : [],
  );
}

/** Waits until the exec ends; its exit code, or undefined when the engine no longer knows it (or `signal` stopped the wait). */
export async function execEnded(engine: EngineClient, id: string, signal?: AbortSignal, pollMs = 500): Promise<number | undefined> {
  while (signal?.aborted !== true) {
    const state = await execState(engine, id);
    if (state === undefined) return undefined;
    if (!state.Running) return state.ExitCode ?? undefined;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return undefined;
}
