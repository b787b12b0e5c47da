// What pks reads back from a container it created: the inspect answer, parsed,
// and the settings spawn recorded in its labels.

import type { MergedDevcontainerConfig } from '../../devcontainer/merge.js';
import { envListToObject } from '../../devcontainer/substitute.js';
import type { ContainerInspect, ContainerSummary, EngineClient } from '../../engine/index.js';
export { containerAddress } from './container-address.js';
import type { HookEvent, HookTarget } from './hooks.js';
import { mergedFromLabels } from './hooks.js';
import { LABELS } from './labels.js';

export type { ContainerInspect };

export async function inspectContainer(engine: EngineClient, idOrName: string): Promise<ContainerInspect> {
  return engine.inspectContainer(idOrName);
}

/** The states in which the inspect says Running (a paused or restarting container is one). */
const RUNNING_STATES = new Set(['running', 'paused', 'restarting']);

/**
 * What a list entry holds of the container's inspect (state, labels, mounts):
 * enough to remove it without asking again. Undefined when the engine listed
 * no mounts.
 */
export function inspectFromList(entry: ContainerSummary): ContainerInspect | undefined {
  if (entry.Mounts === undefined) return undefined;
  return {
    Id: entry.Id,
    Name: entry.Names[0] ?? `/${entry.Id.slice(0, 12)}`,
    Created: new Date(entry.Created * 1000).toISOString(),
    Image: entry.Image,
    State: { Status: entry.State, Running: RUNNING_STATES.has(entry.State) },
    Config: { Labels: entry.Labels },
    Mounts: entry.Mounts,
  };
}

export function containerName(inspect: Pick<ContainerInspect, 'Name'>): string {
  return inspect.Name.replace(/^\//, '');
}

export function labelsOf(inspect: ContainerInspect): Record<string, string> {
  return inspect.Config.Labels ?? {};
}

/** The user hooks, exec and shells run as: what spawn recorded, else the config's choice. */
export function remoteUserOf(inspect: ContainerInspect, merged: MergedDevcontainerConfig = mergedFromLabels(labelsOf(inspect))): string | undefined {
  const labels = labelsOf(inspect);
  const user = labels[LABELS.remoteUser] ?? merged.remoteUser ?? merged.containerUser ?? inspect.Config.User;
  return user === undefined || user === '' ? undefined : user;
}

export function workspaceFolderOf(inspect: ContainerInspect): string {
  return labelsOf(inspect)[LABELS.workspaceFolder] ?? '/';
}

/** Everything the hook runner needs to run hooks in an existing container. */
export function hookTargetFor(
  engine: EngineClient,
  inspect: ContainerInspect,
  options: { onEvent?: ((event: HookEvent) => void) | undefined; remoteFlag?: string | undefined } = {},
): { target: HookTarget; merged: MergedDevcontainerConfig } {
  const merged = mergedFromLabels(labelsOf(inspect));
  const remoteUser = remoteUserOf(inspect, merged);
  return {
    merged,
    target: {
      engine,
      containerId: inspect.Id,
      containerName: containerName(inspect),
      workspaceFolder: workspaceFolderOf(inspect),
      remoteEnv: merged.remoteEnv,
      containerEnv: envListToObject(inspect.Config.Env ?? []),
      remoteUser,
      onEvent: options.onEvent,
      remoteFlag: options.remoteFlag,
    },
  };
}

/** The TCP ports the engine publishes for the container (appPort, `-p` in runArgs). */
export function publishedPorts(inspect: ContainerInspect): number[] {
  return Object.keys(inspect.HostConfig?.PortBindings ?? {})
    .map((key) => /^(\d+)\/tcp$/.exec(key)?.[1])
    .filter((port): port is string => port !== undefined)
    .map(Number);
}
