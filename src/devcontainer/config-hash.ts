// The configuration hash stored in the `devcontainer.config.hash` label: a
// SHA-256 over everything that shapes the container — the parsed
// devcontainer.json (keys sorted, so comments and formatting do not count,
// variables not yet substituted, so it is the same on every machine), the
// files it builds from (Dockerfile, compose files, local Feature folders) and
// the Features with their options and published digests. Each input's own
// digest is kept too, so a change can be reported by file.

import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedFeature } from './feature-resolve.js';

/** Bumped when what goes into the hash changes, so old labels read as "changed". */
export const CONFIG_HASH_VERSION = 1;

export interface HashInput {
  kind: 'config' | 'dockerfile' | 'compose' | 'feature-file' | 'features';
  /** Project-relative POSIX path (or a name for non-file inputs). */
  path: string;
  sha256: string;
}

export interface ConfigHash {
  hash: string;
  inputs: HashInput[];
}

/** JSON with object keys sorted at every level: the normal form that is hashed. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function projectRelative(projectPath: string, file: string): string {
  return path.relative(projectPath, file).split(path.sep).join('/');
}

/** Every file under `folder` (symlinks by target, executable bit included), sorted by path. */
async function folderInputs(projectPath: string, folder: string): Promise<HashInput[]> {
  const inputs: HashInput[] = [];
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const full = path.join(dir, name);
      const info = await lstat(full);
      if (info.isDirectory()) await walk(full);
      else if (info.isSymbolicLink()) inputs.push({ kind: 'feature-file', path: projectRelative(projectPath, full), sha256: sha256(`symlink:${await readlink(full)}`) });
      else if (info.isFile()) {
        const executable = (info.mode & 0o111) !== 0 ? 'x' : '-';
        inputs.push({ kind: 'feature-file', path: projectRelative(projectPath, full), sha256: sha256(Buffer.concat([Buffer.from(`${executable}:`), await readFile(full)])) });
      }
    }
  };
  await walk(folder);
  return inputs;
}

export interface ConfigHashInput {
  projectPath: string;
  configFile: string;
  /** Parsed and validated devcontainer.json, before substitution. */
  rawConfig: unknown;
  dockerfile?: string | undefined;
  composeFiles?: readonly string[] | undefined;
  features: readonly ResolvedFeature[];
}

export async function computeConfigHash(input: ConfigHashInput): Promise<ConfigHash> {
  const inputs: HashInput[] = [{ kind: 'config', path: projectRelative(input.projectPath, input.configFile), sha256: sha256(canonicalJson(input.rawConfig)) }];
  if (input.dockerfile !== undefined) {
    inputs.push({ kind: 'dockerfile', path: projectRelative(input.projectPath, input.dockerfile), sha256: sha256(await readFile(input.dockerfile)) });
  }
  for (const file of input.composeFiles ?? []) {
    inputs.push({ kind: 'compose', path: projectRelative(input.projectPath, file), sha256: sha256(await readFile(file)) });
  }
  const seenFolders = new Set<string>();
  for (const feature of input.features) {
    if (feature.localFolder === undefined || seenFolders.has(feature.localFolder)) continue;
    seenFolders.add(feature.localFolder);
    inputs.push(...(await folderInputs(input.projectPath, feature.localFolder)));
  }
  // Features as installed: order, options and, for published ones, the exact
  // content (a moving tag like :1 changes the hash when it moves).
  const featureList = input.features.map((feature) => ({
    id: feature.userId,
    options: feature.options,
    digest: feature.manifestDigest,
  }));
  inputs.push({ kind: 'features', path: '(features)', sha256: sha256(canonicalJson(featureList)) });
  const hash = sha256(canonicalJson({ version: CONFIG_HASH_VERSION, inputs: inputs.map(({ path: p, sha256: s, kind }) => ({ kind, path: p, sha256: s })) }));
  return { hash, inputs };
}

export interface HashChange {
  path: string;
  change: 'added' | 'removed' | 'modified';
}

/** What differs between two sets of inputs, by file: for "the Dockerfile changed" messages. */
export function diffHashInputs(before: readonly HashInput[], after: readonly HashInput[]): HashChange[] {
  const old = new Map(before.map((input) => [input.path, input.sha256]));
  const now = new Map(after.map((input) => [input.path, input.sha256]));
  const changes: HashChange[] = [];
  for (const [file, digest] of now) {
    if (!old.has(file)) changes.push({ path: file, change: 'added' });
    else if (old.get(file) !== digest) changes.push({ path: file, change: 'modified' });
  }
  for (const file of old.keys()) if (!now.has(file)) changes.push({ path: file, change: 'removed' });
  return changes;
}
