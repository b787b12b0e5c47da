// Where a project's devcontainer.json can be, per the spec:
// `.devcontainer/devcontainer.json`, `.devcontainer.json`, and
// `.devcontainer/<folder>/devcontainer.json` (one level deep). When there are
// several, `.devcontainer/devcontainer.json` (else `.devcontainer.json`) is the
// default, as in the reference CLI; on a terminal the user may pick another
// (the default first), else --config names it. Only subfolder configurations
// and no default: the user must choose.

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

/**
 * Called when several configurations exist and none was named, with the
 * default one when there is one (then first in `candidates`); returns the
 * chosen path, or undefined when nothing decides (no terminal to ask on).
 */
export type ConfigChooser = (candidates: readonly string[], defaultFile: string | undefined) => Promise<string | undefined>;

/** Which configuration a project uses, and the others it has. */
export interface LocatedConfig {
  file: string;
  /** The other configurations, when the default was taken without asking. */
  alsoFound: string[];
}

export interface LocateOptions {
  /** `--config`: relative to the current directory, like any path on a command line. */
  configFile?: string | undefined;
  cwd?: string;
  choose?: ConfigChooser | undefined;
}

/** Absolute path of the devcontainer.json to use for `projectPath`. */
export async function locateConfigFile(projectPath: string, options: LocateOptions = {}): Promise<string> {
  return (await locateConfig(projectPath, options)).file;
}

/** The devcontainer.json to use for `projectPath`, and what else was there when the default was taken. */
export async function locateConfig(projectPath: string, options: LocateOptions = {}): Promise<LocatedConfig> {
  if (options.configFile !== undefined) {
    const file = path.resolve(options.cwd ?? process.cwd(), options.configFile);
    if (!(await isFile(file))) {
      throw new UsageError(`The configuration file ${file} does not exist.`, {
        code: 'E_CONFIG_NOT_FOUND',
        hint: 'Check the path given to --config.',
      });
    }
    return { file, alsoFound: [] };
  }
  const candidates = await findConfigCandidates(projectPath);
  const [first] = candidates;
  if (first !== undefined && candidates.length === 1) return { file: first, alsoFound: [] };
  if (first === undefined) {
    throw new OperationError('E_CONFIG_NOT_FOUND', `No dev container configuration found in ${projectPath}.`, {
      hint:
        'pks looked for .devcontainer/devcontainer.json, .devcontainer.json and .devcontainer/<name>/devcontainer.json. ' +
        `Create one, e.g. .devcontainer/devcontainer.json containing {"image": "debian:bookworm-slim"}, or pass --config <file>.`,
    });
  }
  const defaultFile = isDefaultLocation(projectPath, first) ? first : undefined;
  const chosen = options.choose === undefined ? undefined : await options.choose(candidates, defaultFile);
  if (chosen !== undefined) return { file: chosen, alsoFound: [] };
  if (defaultFile !== undefined) return { file: defaultFile, alsoFound: candidates.filter((c) => c !== defaultFile) };
  // Shown relative to where the command runs, so they paste as-is into --config.
  const relative = candidates.map((c) => path.relative(options.cwd ?? process.cwd(), c) || c);
  throw new UsageError(`${projectPath} has ${candidates.length} dev container configurations; choose one with --config.`, {
    code: 'E_CONFIG_AMBIGUOUS',
    hint: `Candidates:\n${relative.map((c) => `    --config ${c}`).join('\n')}`,
  });
}

/** `.devcontainer/devcontainer.json` or `.devcontainer.json`: the places the reference CLI looks without being told. */
function isDefaultLocation(projectPath: string, file: string): boolean {
  return file === path.join(projectPath, '.devcontainer', 'devcontainer.json') || file === path.join(projectPath, '.devcontainer.json');
}
