// Variable substitution in devcontainer.json string values, as the spec and
// the reference CLI do it: `${name}` or `${name:arg1:arg2}`; keys are never
// substituted, and a variable that is not known here is left as written
// (`${HOME}` in a shell command must reach the shell untouched).
//
// Two passes: on the local machine (`localEnv`, workspace folders,
// devcontainerId) when the configuration is read, and `containerEnv` once the
// container exists and its environment is known.

import path from 'node:path';
import { OperationError } from '../common/errors.js';

const VARIABLE = /\$\{(.*?)\}/g;

export interface LocalSubstitutionContext {
  /** The project folder on the local machine. */
  localWorkspaceFolder: string;
  /** The workspace folder inside the container; itself substituted first. */
  containerWorkspaceFolder?: string | undefined;
  /** Environment for `${localEnv:VAR}` (also spelled `${env:VAR}`). */
  env: Readonly<Record<string, string | undefined>>;
  devcontainerId?: string | undefined;
  /** Named in the error for `${localEnv}` without a variable name. */
  configFile?: string;
}

type Resolver = (match: string, name: string, args: readonly string[]) => string;

function replaceIn(value: string, resolve: Resolver): string {
  return value.replace(VARIABLE, (match: string, inner: string) => {
    const [name = '', ...args] = inner.split(':');
    return resolve(match, name, args);
  });
}

/** Applies `resolve` to every string in a JSON value; object keys stay as they are. */
export function mapStrings<T>(value: T, map: (s: string) => string): T {
  if (typeof value === 'string') return map(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => mapStrings(item, map)) as T;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = mapStrings(item, map);
    return out as T;
  }
  return value;
}

function envLookup(env: Readonly<Record<string, string | undefined>>, match: string, args: readonly string[], configFile?: string): string {
  const [name, fallback] = args;
  if (name === undefined || name === '') {
    throw new OperationError(
      'E_CONFIG_VARIABLE',
      `${match}${configFile === undefined ? '' : ` in ${configFile}`} cannot be resolved: no environment variable name is given.`,
      { hint: 'Write ${localEnv:NAME} or ${localEnv:NAME:default}.' },
    );
  }
  const value = env[name];
  return typeof value === 'string' ? value : (fallback ?? '');
}

function localResolver(context: LocalSubstitutionContext): Resolver {
  return (match, name, args) => {
    switch (name) {
      case 'localEnv':
      case 'env':
        return envLookup(context.env, match, args, context.configFile);
      case 'localWorkspaceFolder':
        return context.localWorkspaceFolder;
      case 'localWorkspaceFolderBasename':
        return path.basename(context.localWorkspaceFolder);
      case 'containerWorkspaceFolder':
        return context.containerWorkspaceFolder ?? match;
      case 'containerWorkspaceFolderBasename':
        return context.containerWorkspaceFolder === undefined ? match : path.posix.basename(context.containerWorkspaceFolder);
      case 'devcontainerId':
        return context.devcontainerId ?? match;
      default:
        return match;
    }
  };
}

/** Substitutes the variables known on the local machine in every string of `value`. */
export function substituteLocal<T>(value: T, context: LocalSubstitutionContext): T {
  // containerWorkspaceFolder may itself use ${localWorkspaceFolderBasename}.
  const resolved: LocalSubstitutionContext =
    context.containerWorkspaceFolder === undefined
      ? context
      : { ...context, containerWorkspaceFolder: replaceIn(context.containerWorkspaceFolder, localResolver({ ...context, containerWorkspaceFolder: undefined })) };
  const resolve = localResolver(resolved);
  return mapStrings(value, (s) => replaceIn(s, resolve));
}

/** Substitutes `${containerEnv:VAR[:default]}` with the container's environment. */
export function substituteContainerEnv<T>(value: T, containerEnv: Readonly<Record<string, string | undefined>>): T {
  const resolve: Resolver = (match, name, args) => (name === 'containerEnv' ? envLookup(containerEnv, match, args) : match);
  return mapStrings(value, (s) => replaceIn(s, resolve));
}

/** `["A=1", "B=x=y"]` (the engine's Config.Env) as an object. */
export function envListToObject(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of list) {
    const eq = entry.indexOf('=');
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}
