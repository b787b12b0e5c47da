// Where a project's devcontainer.json can be, per the spec:
// `.devcontainer/devcontainer.json`, `.devcontainer.json`, and
// `.devcontainer/<folder>/devcontainer.json` (one level deep). When there are
// several, the user chooses (the CLI asks on a terminal, else --config).

import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { OperationError, UsageError, systemErrorCode } from '../common/errors.js';

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT' || systemErrorCode(error) === 'ENOTDIR') return false;
    throw error;
  }
}

/** Every devcontainer.json the spec lets a project have, in the spec's order. */
export async function findConfigCandidates(projectPath: string): Promise<string[]> {
  const found: string[] = [];
  const primary = path.join(projectPath, '.devcontainer', 'devcontainer.json');
  if (await isFile(primary)) found.push(primary);
  const dotFile = path.join(projectPath, '.devcontainer.json');
  if (await isFile(dotFile)) found.push(dotFile);
  let entries: string[] = [];
  try {
    entries = (await readdir(path.join(projectPath, '.devcontainer'), { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if (systemErrorCode(error) !== 'ENOENT' && systemErrorCode(error) !== 'ENOTDIR') throw error;
  }
  for (const name of entries) {
    const candidate = path.join(projectPath, '.devcontainer', name, 'devcontainer.json');
    if (await isFile(candidate)) found.push(candidate);
  }
  return found;
}

/** Called when several configurations exist and none was named; returns the chosen path, or undefined if nothing decides. */
export type ConfigChooser = (candidates: readonly string[]) => Promise<string | undefined>;

export interface LocateOptions {
  /** `--config`: relative to the current directory, like any path on a command line. */
  configFile?: string | undefined;
  cwd?: string;
  choose?: ConfigChooser | undefined;
}

/** Absolute path of the devcontainer.json to use for `projectPath`. */
export async function locateConfigFile(projectPath: string, options: LocateOptions = {}): Promise<string> {
  if (options.configFile !== undefined) {
    const file = path.resolve(options.cwd ?? process.cwd(), options.configFile);
    if (!(await isFile(file))) {
      throw new UsageError(`The configuration file ${file} does not exist.`, {
        code: 'E_CONFIG_NOT_FOUND',
        hint: 'Check the path given to --config.',
      });
    }
    return file;
  }
  const candidates = await findConfigCandidates(projectPath);
  const [only] = candidates;
  if (only !== undefined && candidates.length === 1) return only;
  if (candidates.length === 0) {
    throw new OperationError('E_CONFIG_NOT_FOUND', `No dev container configuration found in ${projectPath}.`, {
      hint:
        'pks looked for .devcontainer/devcontainer.json, .devcontainer.json and .devcontainer/<name>/devcontainer.json. ' +
        `Create one, e.g. .devcontainer/devcontainer.json containing {"image": "debian:bookworm-slim"}, or pass --config <file>.`,
    });
  }
  // Shown relative to where the command runs, so they paste as-is into --config.
  const relative = candidates.map((c) => path.relative(options.cwd ?? process.cwd(), c) || c);
  const chosen = options.choose === undefined ? undefined : await options.choose(candidates);
  if (chosen === undefined) {
    throw new UsageError(`${projectPath} has ${candidates.length} dev container configurations; choose one with --config.`, {
      code: 'E_CONFIG_AMBIGUOUS',
      hint: `Candidates:\n${relative.map((c) => `    --config ${c}`).join('\n')}`,
    });
  }
  return chosen;
}
