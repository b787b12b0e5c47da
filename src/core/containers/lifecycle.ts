// Stop, start, restart and remove a dev container. A start (and a restart)
// runs postStartCommand afterwards, as the spec says: the hook belongs to
// every start of the container, not only the first. For a Compose
// configuration (`composeProject`) each acts on the whole Compose project, by
// Compose's labels on the engine (no Compose files needed): its other
// services start before the workspace service and stop after it.

import { withoutUndefined } from '../../common/defined.js';
import { OperationError } from '../../common/errors.js';
import { removeProjectResources, startProjectServices, stopProjectServices, type ProjectRemoval } from '../compose/compose-project.js';
import { isEngineApiError, type EngineClient } from '../../engine/index.js';
import { containerName, hookTargetFor, inspectContainer, inspectFromList, labelsOf, type ContainerInspect } from './container-info.js';
import { listedEntryOf, type DevcontainerSummary } from './discovery.js';
import { runLifecycleHooks, type HookEvent } from './hooks.js';
import { LABELS } from './labels.js';

export interface HookOptions {
  onEvent?: ((event: HookEvent) => void) | undefined;
  /** ` --remote r1` for the hints of a failing hook. */
  remoteFlag?: string | undefined;
}

export interface ComposeOption {
  /** The Compose project of a Compose configuration's workspace service. */
  composeProject?: string | undefined;
}

export async function stopDevcontainer(
  engine: EngineClient,
  containerId: string,
  options: { timeoutSeconds?: number | undefined } & ComposeOption = {},
): Promise<'stopped' | 'already-stopped'> {
  const outcome = await engine.stopContainer(containerId, { timeoutSeconds: options.timeoutSeconds });
  if (options.composeProject === undefined) return outcome;
  const others = await stopProjectServices(engine, options.composeProject, containerId, options.timeoutSeconds);
  return others.length > 0 ? 'stopped' : outcome;
}

async function runPostStart(engine: EngineClient, containerId: string, options: HookOptions): Promise<void> {
  const inspect = await inspectContainer(engine, containerId);
  const { target, merged } = hookTargetFor(engine, inspect, {
    onEvent: options.onEvent,
    remoteFlag: options.remoteFlag,
  });
  await runLifecycleHooks(target, merged, 'start');
}

/** Starts a stopped container and runs postStartCommand; a running one is left alone. */
export async function startDevcontainer(engine: EngineClient, containerId: string, options: HookOptions & ComposeOption = {}): Promise<'started' | 'already-running'> {
  const others = options.composeProject === undefined ? [] : await startProjectServices(engine, options.composeProject, containerId);
  if ((await engine.startContainer(containerId)) === 'already-running') return others.length > 0 ? 'started' : 'already-running';
  await runPostStart(engine, containerId, options);
  return 'started';
}

export async function restartDevcontainer(engine: EngineClient, containerId: string, options: HookOptions & ComposeOption & { timeoutSeconds?: number | undefined } = {}): Promise<void> {
  if (options.composeProject !== undefined) {
    await stopDevcontainer(engine, containerId, options);
    await startProjectServices(engine, options.composeProject, containerId);
  }
  await engine.restartContainer(containerId, { timeoutSeconds: options.timeoutSeconds });
  await runPostStart(engine, containerId, options);
}

/** The container `found` names, as a removal needs it: from the list that found it (one round trip fewer), else inspected. */
export async function inspectForRemoval(engine: EngineClient, found: DevcontainerSummary): Promise<ContainerInspect> {
  const entry = listedEntryOf(found);
  return (entry === undefined ? undefined : inspectFromList(entry)) ?? (await inspectContainer(engine, found.containerId));
}

/** The workspace volume: what spawn recorded, else the named volume mounted at the workspace root. */
export function workspaceVolumeOf(inspect: ContainerInspect): string | undefined {
  const recorded = labelsOf(inspect)[LABELS.volumeName];
  if (recorded !== undefined && recorded !== '') return recorded;
  const mount = (inspect.Mounts ?? []).find((m) => m.Type === 'volume' && m.Destination === '/workspaces');
  return mount?.Name;
}

/** The volumes the engine made for the container's anonymous mounts (`type=volume` without a source): named by a 64-hex id. */
export function anonymousVolumesOf(inspect: ContainerInspect): string[] {
  const workspace = workspaceVolumeOf(inspect);
  return (inspect.Mounts ?? [])
    .filter((m) => m.Type === 'volume' && m.Name !== undefined && m.Name !== workspace && /^[0-9a-f]{64}$/.test(m.Name))
    .map((m) => m.Name as string);
}

export type VolumeOutcome =
  | { name: string; action: 'removed' }
  | { name: string; action: 'kept' }
  | { name: string; action: 'missing' }
  | { name: string; action: 'in-use'; reason: string };

export interface RemoveOutcome {
  container: string;
  containerId: string;
  /** Undefined when the container had no workspace volume. */
  volume?: VolumeOutcome;
  /** The volumes of its anonymous mounts, when it had any: removed with --volumes, else kept. */
  anonymousVolumes?: { names: string[]; action: 'removed' | 'kept' };
  /** A Compose project's other containers, its networks and (with --volumes) its volumes, removed. */
  compose?: ProjectRemoval;
}

/**
 * Removes the container (a running one only with `force`) and, if asked, its
 * workspace volume. The volume goes after the container: the engine refuses
 * to remove a volume a container still uses.
 */
export async function removeDevcontainer(
  engine: EngineClient,
  inspect: ContainerInspect,
  options: { force?: boolean; volumes?: boolean } & ComposeOption,
): Promise<RemoveOutcome> {
  const name = containerName(inspect);
  if (inspect.State.Running && options.force !== true) {
    throw new OperationError('E_CONTAINER_RUNNING', `${name} is running; pks removes a running container only with --force.`, {
      hint: `Stop it first (pks devcontainer stop ${name}), or pass --force.`,
    });
  }
  // With --volumes its anonymous volumes go with it (the engine removes them), else they are kept and said so.
  await engine.removeContainer(inspect.Id, { force: options.force === true, anonymousVolumes: options.volumes === true });
  const volumeName = workspaceVolumeOf(inspect);
  const anonymous = anonymousVolumesOf(inspect);
  // As `compose down`: the project's other containers and its networks (after the workspace service, which uses them).
  const compose =
    options.composeProject === undefined ? undefined : await removeProjectResources(engine, options.composeProject, { workspaceId: inspect.Id, volumes: options.volumes === true });
  const outcome: RemoveOutcome = withoutUndefined({
    container: name,
    containerId: inspect.Id,
    anonymousVolumes: anonymous.length === 0 ? undefined : { names: anonymous, action: options.volumes === true ? ('removed' as const) : ('kept' as const) },
    compose,
  });
  if (volumeName === undefined) return outcome;
  if (options.volumes !== true) return { ...outcome, volume: { name: volumeName, action: 'kept' } };
  try {
    await engine.removeVolume(volumeName);
    return { ...outcome, volume: { name: volumeName, action: 'removed' } };
  } catch (error) {
    if (isEngineApiError(error, 404)) return { ...outcome, volume: { name: volumeName, action: 'missing' } };
    if (isEngineApiError(error, 409)) return { ...outcome, volume: { name: volumeName, action: 'in-use', reason: error.engineMessage } };
    throw error;
  }
}
