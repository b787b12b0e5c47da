// Merging devcontainer.json with image metadata entries (base image, then
// Features, then devcontainer.json's own entry, last), per the "merge logic"
// table of the spec (docs/specs/image-metadata.md) and as the reference CLI
// shapes its merged configuration: lifecycle hooks become arrays
// (`postCreateCommands`), entrypoints a list, customizations per tool arrays.

import { withoutUndefined } from '../common/defined.js';
import type { DevcontainerConfig, HostRequirements, LifecycleCommand, Mount } from './config-schema.js';
import { LIFECYCLE_HOOKS, type ImageMetadataEntry, type LifecycleHook } from './image-metadata.js';

export interface MergedHostRequirements {
  cpus?: number;
  /** Bytes, as a decimal string. */
  memory?: string;
  storage?: string;
  gpu?: HostRequirements['gpu'];
}

/** Properties of devcontainer.json that the merge replaces or removes. */
type Replaced =
  | LifecycleHook
  | 'customizations'
  | 'shutdownAction'
  | 'init'
  | 'privileged'
  | 'capAdd'
  | 'securityOpt'
  | 'mounts'
  | 'waitFor'
  | 'remoteUser'
  | 'containerUser'
  | 'userEnvProbe'
  | 'remoteEnv'
  | 'containerEnv'
  | 'overrideCommand'
  | 'portsAttributes'
  | 'otherPortsAttributes'
  | 'forwardPorts'
  | 'updateRemoteUserUID'
  | 'hostRequirements';

export interface MergedDevcontainerConfig extends Omit<DevcontainerConfig, Replaced> {
  init: boolean;
  privileged: boolean;
  capAdd?: string[];
  securityOpt?: string[];
  entrypoints?: string[];
  mounts?: Mount[];
  /** Per tool, one value per entry that had one, in entry order. */
  customizations?: Record<string, unknown[]>;
  onCreateCommands: LifecycleCommand[];
  updateContentCommands: LifecycleCommand[];
  postCreateCommands: LifecycleCommand[];
  postStartCommands: LifecycleCommand[];
  postAttachCommands: LifecycleCommand[];
  waitFor?: string;
  remoteUser?: string;
  containerUser?: string;
  userEnvProbe?: string;
  remoteEnv: Record<string, string | null>;
  containerEnv: Record<string, string>;
  overrideCommand?: boolean;
  portsAttributes: Record<string, unknown>;
  otherPortsAttributes?: Record<string, unknown>;
  forwardPorts?: (number | string)[];
  shutdownAction?: string;
  updateRemoteUserUID?: boolean;
  hostRequirements?: MergedHostRequirements;
}

/** `type=volume,src=x,dst=/y` → `{ type, source, target }` (docker's aliases normalised). */
export function parseMountString(mount: string): Record<string, string> {
  const aliases: Record<string, string> = { src: 'source', destination: 'target', dst: 'target' };
  const out: Record<string, string> = {};
  for (const part of mount.split(',')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    out[aliases[key] ?? key] = eq < 0 ? '' : part.slice(eq + 1);
  }
  return out;
}

function mountTarget(mount: Mount): string | undefined {
  return typeof mount === 'string' ? parseMountString(mount)['target'] : mount.target;
}

/** All mounts in order; for a target mounted twice the last one wins. */
function mergeMounts(entries: readonly ImageMetadataEntry[]): Mount[] | undefined {
  const all = entries.flatMap((entry) => entry.mounts ?? []);
  const seen = new Set<string | undefined>();
  const kept: Mount[] = [];
  for (let i = all.length - 1; i >= 0; i--) {
    const mount = all[i] as Mount;
    const target = mountTarget(mount);
    if (seen.has(target)) continue;
    seen.add(target);
    kept.unshift(mount);
  }
  return kept.length > 0 ? kept : undefined;
}

function union(lists: ReadonlyArray<readonly string[] | undefined>): string[] | undefined {
  const out = [...new Set(lists.flatMap((list) => list ?? []))];
  return out.length > 0 ? out : undefined;
}

/** Ports without duplicates; `3000` and `"localhost:3000"` are the same port. */
function mergeForwardPorts(entries: readonly ImageMetadataEntry[]): (number | string)[] | undefined {
  const keys = [...new Set(entries.flatMap((entry) => entry.forwardPorts ?? []).map((port) => (typeof port === 'number' ? `localhost:${port}` : port)))];
  const ports = keys.map((key) => (/^localhost:\d+$/.test(key) ? Number.parseInt(key.slice('localhost:'.length), 10) : key));
  return ports.length > 0 ? ports : undefined;
}

const UNITS: Record<string, number> = { t: 2 ** 40, g: 2 ** 30, m: 2 ** 20, k: 2 ** 10 };

/** `4gb` → bytes; anything unreadable counts as 0. */
export function parseSize(size: string | undefined): number {
  const match = /^(\d+)([tgmk]b)?$/.exec(size ?? '');
  if (match === null) return 0;
  return Number.parseInt(match[1] ?? '0', 10) * (match[2] === undefined ? 1 : (UNITS[match[2][0] ?? ''] ?? 1));
}

type Gpu = HostRequirements['gpu'];

function mergeGpu(a: Gpu, b: Gpu): Gpu {
  if (a === undefined || a === false) return b;
  if (b === undefined || b === false) return a;
  if (a === 'optional' && b === 'optional') return 'optional';
  const objA = typeof a === 'object' ? a : {};
  const objB = typeof b === 'object' ? b : {};
  const cores = Math.max(objA.cores ?? 0, objB.cores ?? 0);
  const memory = Math.max(parseSize(objA.memory), parseSize(objB.memory));
  return { ...(cores > 0 ? { cores } : {}), ...(memory > 0 ? { memory: String(memory) } : {}) };
}

/** The largest requirement of each kind wins. */
function mergeHostRequirements(entries: readonly ImageMetadataEntry[]): MergedHostRequirements | undefined {
  const cpus = Math.max(0, ...entries.map((entry) => entry.hostRequirements?.cpus ?? 0));
  const memory = Math.max(0, ...entries.map((entry) => parseSize(entry.hostRequirements?.memory)));
  const storage = Math.max(0, ...entries.map((entry) => parseSize(entry.hostRequirements?.storage)));
  const gpu = entries.map((entry) => entry.hostRequirements?.gpu).reduce<Gpu>(mergeGpu, undefined);
  if (cpus === 0 && memory === 0 && storage === 0 && gpu === undefined) return undefined;
  return withoutUndefined({
    cpus: cpus > 0 ? cpus : undefined,
    memory: memory > 0 ? String(memory) : undefined,
    storage: storage > 0 ? String(storage) : undefined,
    gpu,
  });
}

function last<K extends keyof ImageMetadataEntry>(entries: readonly ImageMetadataEntry[], key: K, accept: (value: unknown) => boolean): ImageMetadataEntry[K] | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const value = entries[i]?.[key];
    if (accept(value)) return value;
  }
  return undefined;
}

const truthy = (value: unknown): boolean => value !== undefined && value !== null && value !== '' && value !== false;
const isBoolean = (value: unknown): boolean => typeof value === 'boolean';

function collect<T>(entries: readonly ImageMetadataEntry[], pickValue: (entry: ImageMetadataEntry) => T | undefined): T[] {
  return entries.map(pickValue).filter((value): value is T => value !== undefined && value !== null && value !== '');
}

/** Merges `config` (already substituted) with `entries` (substituted too; devcontainer.json's last). */
export function mergeConfiguration(config: DevcontainerConfig, entries: readonly ImageMetadataEntry[]): MergedDevcontainerConfig {
  const customizations: Record<string, unknown[]> = {};
  for (const entry of entries) {
    for (const [tool, value] of Object.entries(entry.customizations ?? {})) (customizations[tool] ??= []).push(value);
  }
  const rest: Record<string, unknown> = { ...config };
  for (const key of [...LIFECYCLE_HOOKS, 'customizations', 'shutdownAction']) delete rest[key];
  const entrypoints = collect(entries, (entry) => entry.entrypoint);
  const merged = {
    ...rest,
    init: entries.some((entry) => entry.init === true),
    privileged: entries.some((entry) => entry.privileged === true),
    capAdd: union(entries.map((entry) => entry.capAdd)),
    securityOpt: union(entries.map((entry) => entry.securityOpt)),
    entrypoints: entrypoints.length > 0 ? entrypoints : undefined,
    mounts: mergeMounts(entries),
    customizations: Object.keys(customizations).length > 0 ? customizations : undefined,
    onCreateCommands: collect(entries, (entry) => entry.onCreateCommand),
    updateContentCommands: collect(entries, (entry) => entry.updateContentCommand),
    postCreateCommands: collect(entries, (entry) => entry.postCreateCommand),
    postStartCommands: collect(entries, (entry) => entry.postStartCommand),
    postAttachCommands: collect(entries, (entry) => entry.postAttachCommand),
    waitFor: last(entries, 'waitFor', truthy),
    remoteUser: last(entries, 'remoteUser', truthy),
    containerUser: last(entries, 'containerUser', truthy),
    userEnvProbe: last(entries, 'userEnvProbe', truthy),
    remoteEnv: Object.assign({}, ...entries.map((entry) => entry.remoteEnv)) as Record<string, string | null>,
    containerEnv: Object.assign({}, ...entries.map((entry) => entry.containerEnv)) as Record<string, string>,
    overrideCommand: last(entries, 'overrideCommand', isBoolean),
    portsAttributes: Object.assign({}, ...entries.map((entry) => entry.portsAttributes)) as Record<string, unknown>,
    otherPortsAttributes: last(entries, 'otherPortsAttributes', truthy),
    forwardPorts: mergeForwardPorts(entries),
    shutdownAction: last(entries, 'shutdownAction', truthy),
    updateRemoteUserUID: last(entries, 'updateRemoteUserUID', isBoolean),
    hostRequirements: mergeHostRequirements(entries),
  };
  return withoutUndefined(merged) as MergedDevcontainerConfig;
}

export interface OriginCommand {
  /** The Feature id, or `devcontainer.json`. */
  origin: string;
  command: LifecycleCommand;
}

/** Each hook's commands with where they come from, for running them and naming a failing one. */
export function lifecycleCommandsByHook(entries: readonly ImageMetadataEntry[]): Record<LifecycleHook, OriginCommand[]> {
  const out = Object.fromEntries(LIFECYCLE_HOOKS.map((hook) => [hook, [] as OriginCommand[]])) as Record<LifecycleHook, OriginCommand[]>;
  for (const entry of entries) {
    for (const hook of LIFECYCLE_HOOKS) {
      const command = entry[hook];
      if (command !== undefined && command !== '') out[hook].push({ origin: entry.id ?? 'devcontainer.json', command });
    }
  }
  return out;
}
