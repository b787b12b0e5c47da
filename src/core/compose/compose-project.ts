// A Compose project on the engine, through Compose's own labels: its
// containers, networks and volumes. Stop, start and remove work from these
// alone, so they work when the project folder or its Compose files are gone,
// and on any engine pks reaches, without Compose.

import type { ContainerSummary, EngineClient } from '../../engine/index.js';

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** The Compose project a pks container belongs to (its workspace service), or undefined. */
export function composeProjectOf(labels: Readonly<Record<string, string>> | undefined | null): string | undefined {
  const project = labels?.[COMPOSE_PROJECT_LABEL];
  return project === undefined || project === '' ? undefined : project;
}

const byProject = (project: string) => ({ label: [`${COMPOSE_PROJECT_LABEL}=${project}`] });

export function projectContainers(engine: EngineClient, project: string): Promise<ContainerSummary[]> {
  return engine.listContainers({ all: true, filters: byProject(project) });
}

/** Starts the project's stopped containers but `workspaceId` (the caller starts it, after them: its services first). */
export async function startProjectServices(engine: EngineClient, project: string, workspaceId: string): Promise<string[]> {
  const others = (await projectContainers(engine, project)).filter((c) => c.Id !== workspaceId && c.State !== 'running');
  await Promise.all(others.map((c) => engine.startContainer(c.Id)));
  return others.map((c) => c.Labels[COMPOSE_SERVICE_LABEL] ?? c.Id.slice(0, 12));
}

/** Stops the project's running containers but `workspaceId` (stopped by the caller, first). */
export async function stopProjectServices(engine: EngineClient, project: string, workspaceId: string, timeoutSeconds?: number): Promise<string[]> {
  const others = (await projectContainers(engine, project)).filter((c) => c.Id !== workspaceId && c.State === 'running');
  await Promise.all(others.map((c) => engine.stopContainer(c.Id, { timeoutSeconds })));
  return others.map((c) => c.Labels[COMPOSE_SERVICE_LABEL] ?? c.Id.slice(0, 12));
}

export interface ProjectRemoval {
  containers: string[];
  networks: string[];
  volumes: string[];
}

/**
 * Removes what Compose made for the project: its other containers, its
 * networks and, with `volumes`, its volumes (the workspace container and
 * volume are the caller's). As `compose down` does, by Compose's labels.
 */
export async function removeProjectResources(engine: EngineClient, project: string, options: { workspaceId: string; volumes: boolean }): Promise<ProjectRemoval> {
  const containers = (await projectContainers(engine, project)).filter((c) => c.Id !== options.workspaceId);
  await Promise.all(containers.map((c) => engine.removeContainer(c.Id, { force: true, missingOk: true, anonymousVolumes: options.volumes })));
  const networks = await engine.listNetworks({ filters: byProject(project) });
  for (const network of networks) await engine.removeNetwork(network.Id, { missingOk: true });
  const volumes = options.volumes ? await engine.listVolumes({ filters: byProject(project) }) : [];
  for (const volume of volumes) await engine.removeVolume(volume.Name, { missingOk: true });
  return {
    containers: containers.map((c) => (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, '')),
    networks: networks.map((n) => n.Name),
    volumes: volumes.map((v) => v.Name),
  };
}

/** How many services the project runs (its containers), for `list`. */
export function serviceCount(containers: readonly ContainerSummary[], project: string): number {
  return new Set(containers.filter((c) => c.Labels[COMPOSE_PROJECT_LABEL] === project).map((c) => c.Labels[COMPOSE_SERVICE_LABEL] ?? c.Id)).size;
}
