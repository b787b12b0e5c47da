// Finding dev containers again: a label-filtered list on an engine, nothing
// stored locally. `pks devcontainer list` runs on this path, so it imports
// nothing heavy (no spec engine, no ssh2 until a remote host is contacted).

import path from 'node:path';
import { OperationError, UsageError } from '../../common/errors.js';
import { escapeControls } from '../../common/terminal-text.js';
import type { ContainerSummary, EngineClient } from '../../engine/index.js';
import { COMPOSE_PROJECT_LABEL, composeProjectOf, serviceCount } from '../compose/compose-project.js';
import { containerAddress } from './container-address.js';
import { matchContainers, matchFolder, type MatchRule } from './container-match.js';
import { LABELS, managedFilter } from './labels.js';
import { isOwnedBy } from './owner.js';

/** One dev container as `list` shows it; also the JSON shape of `list --format json`. */
export interface DevcontainerSummary {
  /** pks.project.name; for foreign containers the local folder's name. */
  project: string;
  containerId: string;
  /** Without the engine's leading slash. */
  name: string;
  /** The engine's state: created, running, paused, restarting, exited, dead. */
  status: string;
  /** The engine's own wording, e.g. "Up 3 hours", "Exited (0) 2 minutes ago". */
  statusText: string;
  /** `local` or the registered remote id the engine was reached through. */
  host: string;
  /** ISO 8601. */
  createdAt: string;
  spawnedAt: string | null;
  image: string;
  projectPath: string | null;
  volume: string | null;
  workspaceFolder: string | null;
  /** Created by VS Code or the Dev Container CLI, not by pks. */
  foreign: boolean;
  /** The local user who spawned it (pks.spawned.by); null when unknown. */
  spawnedBy: string | null;
  /** A Compose configuration's workspace service: its Compose project and how many services the project has. */
  compose: { project: string; services: number } | null;
  /** Its address on the engine's machine (where forwarded ports go); null when it has none (stopped, no network). */
  address: string | null;
}

export interface ListOptions {
  /** Include stopped containers. */
  all?: boolean;
  /** Include dev containers other tools created (devcontainer.local_folder without pks.managed). */
  includeForeign?: boolean;
}

function label(labels: Readonly<Record<string, string>>, key: string): string | null {
  const value = labels[key];
  return value === undefined || value === '' ? null : value;
}

/** The engine's list entry of each summary: what a command may read instead of asking the engine again. */
const listedEntries = new WeakMap<DevcontainerSummary, ContainerSummary>();

export function listedEntryOf(summary: DevcontainerSummary): ContainerSummary | undefined {
  return listedEntries.get(summary);
}

export function summarize(container: ContainerSummary, host: string): DevcontainerSummary {
  const summary = summaryOf(container, host);
  listedEntries.set(summary, container);
  return summary;
}

function summaryOf(container: ContainerSummary, host: string): DevcontainerSummary {
  const labels = container.Labels;
  const foreign = labels[LABELS.managed] !== 'true';
  const name = (container.Names[0] ?? container.Id.slice(0, 12)).replace(/^\//, '');
  const localFolder = label(labels, LABELS.localFolder);
  const projectPath = label(labels, LABELS.projectPath) ?? localFolder;
  const project = label(labels, LABELS.projectName) ?? (projectPath === null ? name : path.basename(projectPath));
  return {
    project,
    containerId: container.Id,
    name,
    status: container.State,
    statusText: container.Status,
    host,
    createdAt: new Date(container.Created * 1000).toISOString(),
    spawnedAt: label(labels, LABELS.spawnDate),
    image: container.Image,
    projectPath,
    volume: label(labels, LABELS.volumeName),
    workspaceFolder: label(labels, LABELS.workspaceFolder),
    foreign,
    spawnedBy: label(labels, LABELS.spawnedBy),
    compose: composeOf(labels),
    address: containerAddress(container) ?? null,
  };
}

function composeOf(labels: Readonly<Record<string, string>>): DevcontainerSummary['compose'] {
  const project = composeProjectOf(labels);
  return project === undefined ? null : { project, services: 1 };
}

/** Code-point order: localeCompare's first call loads ICU collation data (~8 ms of `list`). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byProjectThenName(a: DevcontainerSummary, b: DevcontainerSummary): number {
  return compare(a.project, b.project) || compare(a.name, b.name);
}

export async function listDevcontainers(engine: EngineClient, host: string, options: ListOptions = {}): Promise<DevcontainerSummary[]> {
  const all = options.all === true;
  const [managed, withFolder] = await Promise.all([
    engine.listContainers({ all, filters: managedFilter() }),
    options.includeForeign === true ? engine.listContainers({ all, filters: { label: [LABELS.localFolder] } }) : Promise.resolve([]),
  ]);
  const seen = new Set(managed.map((c) => c.Id));
  const foreign = withFolder.filter((c) => !seen.has(c.Id) && c.Labels[LABELS.managed] !== 'true');
  const summaries = [...managed, ...foreign].map((c) => summarize(c, host)).sort(byProjectThenName);
  // Compose projects: one more list (only then), for how many services each has.
  if (summaries.some((c) => c.compose !== null)) {
    const services = await engine.listContainers({ all: true, filters: { label: [COMPOSE_PROJECT_LABEL] } });
    for (const c of summaries) if (c.compose !== null) c.compose.services = Math.max(1, serviceCount(services, c.compose.project));
  }
  return summaries;
}

export interface FindOptions {
  /** The `[container]` argument; undefined means the current folder's project. */
  query: string | undefined;
  cwd: string;
  /** `local` or the remote id. */
  host: string;
  /** For messages: "the local engine", `remote host "r1" (...)`. */
  where: string;
  /** ` --remote r1` or empty, for the commands suggested in hints. */
  remoteFlag: string;
  /** Who is asking: among several matches, this user's containers are meant. */
  user: string;
  /** Picks one of several candidates (a prompt on a TTY); without it, ambiguity is an error. */
  choose?: (candidates: DevcontainerSummary[], question: string) => Promise<DevcontainerSummary>;
}

export interface FoundDevcontainer {
  container: DevcontainerSummary;
  rule: MatchRule;
  /** Every pks-managed container on the engine, as listed to find it (for the names hints can use). */
  listed: DevcontainerSummary[];
}

/** One line per candidate, for pickers and for the ambiguity error; label values cannot break it into more. */
export function describeCandidate(c: DevcontainerSummary): string {
  // The folder tells apart two projects of the same name.
  const fields = [c.project, c.name, c.containerId.slice(0, 12), c.host, c.status, ...(c.projectPath === null ? [] : [c.projectPath]), ...(c.spawnedBy === null ? [] : [`by ${c.spawnedBy}`])];
  return fields.map(escapeControls).join('  ');
}

/** The dev container a command acts on, among the pks-managed ones on `engine`. */
export async function findDevcontainer(engine: EngineClient, options: FindOptions): Promise<FoundDevcontainer> {
  const containers = await listDevcontainers(engine, options.host, { all: true });
  // Another user's container of the same name does not make the user's own ambiguous.
  const mine = (c: DevcontainerSummary): boolean => isOwnedBy(c, options.user);
  const result = options.query === undefined ? matchFolder(containers, options.cwd, mine) : matchContainers(containers, options.query, mine);
  const [first] = result.matches;
  if (first !== undefined && result.rule !== undefined && result.matches.length === 1) return { container: first, rule: result.rule, listed: containers };
  if (first !== undefined && result.rule !== undefined) {
    const what = options.query === undefined ? `the current folder (${options.cwd})` : `"${options.query}"`;
    const question = `${result.matches.length} dev containers on ${options.where} match ${what}. Which one?`;
    if (options.choose !== undefined) return { container: await options.choose(result.matches, question), rule: result.rule, listed: containers };
    throw new UsageError(`${result.matches.length} dev containers on ${options.where} match ${what}.`, {
      code: 'E_AMBIGUOUS_CONTAINER',
      hint: `Name one by its container name or ID:\n${result.matches.map((c) => `    ${describeCandidate(c)}`).join('\n')}`,
    });
  }
  await refuseForeign(engine, options);
  throw notFound(options, containers.length);
}

function notFound(options: FindOptions, looked: number): OperationError {
  const seen = `${looked} pks-managed container${looked === 1 ? '' : 's'}`;
  if (options.query === undefined) {
    return new OperationError('E_CONTAINER_NOT_FOUND', `No dev container was spawned from the current folder (${options.cwd}) on ${options.where} (looked at the project folders of ${seen}).`, {
      hint:
        options.remoteFlag === ''
          ? 'Name the container (see: pks devcontainer list --all), or add --remote <id> if it runs on a remote host (pks devcontainer list --all-remotes --all shows where), or spawn this folder: pks devcontainer spawn'
          : `Name the container (see: pks devcontainer list --all${options.remoteFlag}), or spawn this folder: pks devcontainer spawn${options.remoteFlag}`,
    });
  }
  return new OperationError('E_CONTAINER_NOT_FOUND', `No dev container matches "${options.query}" on ${options.where} (looked at the project names, container names and IDs of ${seen}).`, {
    hint:
      options.remoteFlag === ''
        ? 'See what there is: pks devcontainer list --all (or --all-remotes --all to look on every registered host)'
        : `See what there is: pks devcontainer list --all${options.remoteFlag}`,
  });
}

/** A name that only matches a container VS Code or the Dev Container CLI made gets its own message. */
async function refuseForeign(engine: EngineClient, options: FindOptions): Promise<void> {
  const everything = await listDevcontainers(engine, options.host, { all: true, includeForeign: true });
  const foreign = everything.filter((c) => c.foreign);
  const result = options.query === undefined ? matchFolder(foreign, options.cwd) : matchContainers(foreign, options.query);
  const [first] = result.matches;
  if (first === undefined) return;
  throw new OperationError(
    'E_FOREIGN_CONTAINER',
    `${first.name} (${first.containerId.slice(0, 12)}) on ${options.where} is a dev container pks did not create (VS Code or the Dev Container CLI did); pks acts only on its own.`,
    { hint: `Manage it with the tool that created it, or spawn the project with pks: pks devcontainer spawn ${first.projectPath === null ? '<folder>' : escapeControls(first.projectPath)}${options.remoteFlag}` },
  );
}
