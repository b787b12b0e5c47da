// The `devcontainer.metadata` image label (spec: docs/specs/image-metadata.md):
// a JSON array with one entry per Feature (`id` set) and one for
// devcontainer.json, last. Entries are stored as written (variables not yet
// substituted) so an image can be reused by another configuration; they are
// substituted when applied. This is the reference CLI's format, so images
// and containers pks makes are understood by VS Code and by the reference.

import * as z from 'zod';
import { hostRequirementsSchema, lifecycleCommandSchema, mountSchema, type DevcontainerConfig } from './config-schema.js';
import type { ResolvedFeature } from './feature-resolve.js';

export const METADATA_LABEL = 'devcontainer.metadata';

export const LIFECYCLE_HOOKS = ['onCreateCommand', 'updateContentCommand', 'postCreateCommand', 'postStartCommand', 'postAttachCommand'] as const;
export type LifecycleHook = (typeof LIFECYCLE_HOOKS)[number];

/** What devcontainer.json contributes to the label. */
export const CONFIG_METADATA_PROPERTIES = [
  ...LIFECYCLE_HOOKS,
  'waitFor',
  'customizations',
  'mounts',
  'containerEnv',
  'containerUser',
  'init',
  'privileged',
  'capAdd',
  'securityOpt',
  'remoteUser',
  'userEnvProbe',
  'remoteEnv',
  'overrideCommand',
  'portsAttributes',
  'otherPortsAttributes',
  'forwardPorts',
  'shutdownAction',
  'updateRemoteUserUID',
  'hostRequirements',
] as const;

/** What a Feature contributes (its containerEnv becomes ENV in the image instead). */
export const FEATURE_METADATA_PROPERTIES = [...LIFECYCLE_HOOKS, 'init', 'privileged', 'capAdd', 'securityOpt', 'entrypoint', 'mounts', 'customizations'] as const;

/** One entry, read loosely: labels come from images anyone may have built. */
export const imageMetadataEntrySchema = z.looseObject({
  id: z.string().optional(),
  init: z.boolean().optional(),
  privileged: z.boolean().optional(),
  capAdd: z.array(z.string()).optional(),
  securityOpt: z.array(z.string()).optional(),
  entrypoint: z.string().optional(),
  mounts: z.array(mountSchema).optional(),
  customizations: z.record(z.string(), z.unknown()).optional(),
  onCreateCommand: lifecycleCommandSchema.optional(),
  updateContentCommand: lifecycleCommandSchema.optional(),
  postCreateCommand: lifecycleCommandSchema.optional(),
  postStartCommand: lifecycleCommandSchema.optional(),
  postAttachCommand: lifecycleCommandSchema.optional(),
  waitFor: z.string().optional(),
  containerEnv: z.record(z.string(), z.string()).optional(),
  containerUser: z.string().optional(),
  remoteUser: z.string().optional(),
  userEnvProbe: z.string().optional(),
  remoteEnv: z.record(z.string(), z.string().nullable()).optional(),
  overrideCommand: z.boolean().optional(),
  portsAttributes: z.record(z.string(), z.unknown()).optional(),
  otherPortsAttributes: z.record(z.string(), z.unknown()).optional(),
  forwardPorts: z.array(z.union([z.number(), z.string()])).optional(),
  shutdownAction: z.string().optional(),
  updateRemoteUserUID: z.boolean().optional(),
  hostRequirements: hostRequirementsSchema.optional(),
});
export type ImageMetadataEntry = z.infer<typeof imageMetadataEntrySchema>;

function pick(source: Readonly<Record<string, unknown>>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

/** The entry devcontainer.json contributes (empty properties left out). */
export function configMetadataEntry(config: DevcontainerConfig): ImageMetadataEntry {
  return pick(config, CONFIG_METADATA_PROPERTIES) as ImageMetadataEntry;
}

/** The entry a Feature contributes, identified by how the user referenced it. */
export function featureMetadataEntry(feature: ResolvedFeature): ImageMetadataEntry {
  return { id: feature.userId, ...pick(feature.metadata, FEATURE_METADATA_PROPERTIES) } as ImageMetadataEntry;
}

/** Base image entries, then Features in install order, then devcontainer.json; empty entries dropped. */
export function metadataEntries(
  base: readonly ImageMetadataEntry[],
  features: readonly ResolvedFeature[],
  config: DevcontainerConfig,
): ImageMetadataEntry[] {
  return [...base, ...features.map(featureMetadataEntry), configMetadataEntry(config)].filter((entry) => Object.keys(entry).length > 0);
}

export interface ParsedMetadataLabel {
  entries: ImageMetadataEntry[];
  /** Why (part of) the label was ignored, if it was. */
  problem?: string;
}

/** Reads a label value: an array of entries, or (allowed by the spec) one object. */
export function parseMetadataLabel(value: string | undefined): ParsedMetadataLabel {
  if (value === undefined || value.trim() === '') return { entries: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    return { entries: [], problem: `the ${METADATA_LABEL} label is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const entries: ImageMetadataEntry[] = [];
  let skipped = 0;
  for (const item of list) {
    const result = imageMetadataEntrySchema.safeParse(item);
    if (result.success) entries.push(result.data);
    else skipped++;
  }
  return skipped === 0 ? { entries } : { entries, problem: `${skipped} malformed entr${skipped === 1 ? 'y' : 'ies'} of the ${METADATA_LABEL} label ignored` };
}

/** The label value, as compact JSON. */
export function serializeMetadataLabel(entries: readonly ImageMetadataEntry[]): string {
  return JSON.stringify(entries);
}
