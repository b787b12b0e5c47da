// Configuration drift, three ways: the project's files on this machine, what
// the container was built from (its labels), and the copy of the same files
// inside the workspace volume (edited from inside the container). Which side
// changed decides between reuse, rebuild, and asking the user.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { HashInput } from '../../devcontainer/index.js';
import type { EngineClient } from '../../engine/index.js';
import { readContainerFile, sha256Hex } from './container-files.js';
import { inWorkspace, type WorkspaceLayout } from './workspace-layout.js';

/** Label holding `{ "<project-relative path>": "<sha256 of the file>" }` of the config files at spawn. */
export const CONFIG_FILES_LABEL = 'pks.config.files';

const FILE_KINDS = new Set<HashInput['kind']>(['config', 'dockerfile', 'compose', 'feature-file']);

/** The project-relative files the configuration is built from (those that live in the project). */
export function configFilePaths(inputs: readonly HashInput[]): string[] {
  return inputs
    .filter((input) => FILE_KINDS.has(input.kind) && !input.path.startsWith('..') && !path.isAbsolute(input.path))
    .map((input) => input.path);
}

export async function hostFileDigests(projectPath: string, files: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of files) {
    const data = await readFile(path.join(projectPath, file)).catch(() => undefined);
    if (data !== undefined) out[file] = sha256Hex(data);
  }
  return out;
}

export async function volumeFileDigests(
  engine: EngineClient,
  containerId: string,
  layout: WorkspaceLayout,
  files: readonly string[],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of files) {
    const data = await readContainerFile(engine, containerId, inWorkspace(layout, file));
    if (data !== undefined) out[file] = sha256Hex(data);
  }
  return out;
}

export function parseFilesLabel(value: string | undefined): Record<string, string> {
  if (value === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== 'object' || parsed === null) return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}

function changedFiles(before: Record<string, string>, after: Record<string, string>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((name) => before[name] !== after[name]).sort();
}

export interface Drift {
  /** The configuration on this machine differs from what the container was built from. */
  hostChanged: boolean;
  /** Files changed on this machine since the spawn. */
  hostFiles: string[];
  /** Files changed inside the container's workspace since pks last left them there. */
  volumeFiles: string[];
}

export function assessDrift(input: {
  labelHash: string | undefined;
  hostHash: string;
  /** The files as the container was built from them (its label). */
  spawnFiles: Record<string, string>;
  hostFiles: Record<string, string>;
  volumeFiles: Record<string, string>;
  /** The files as pks last left them in the volume (default: spawnFiles). */
  recorded?: Record<string, string>;
}): Drift {
  return {
    hostChanged: input.labelHash !== input.hostHash,
    hostFiles: changedFiles(input.spawnFiles, input.hostFiles),
    // A file missing from the volume (deleted inside, or never uploaded) is
    // not an edit worth keeping.
    volumeFiles: changedFiles(input.recorded ?? input.spawnFiles, input.volumeFiles).filter((file) => input.volumeFiles[file] !== undefined),
  };
}
