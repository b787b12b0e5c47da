// Where `pks devcontainer exec` runs a command unless told otherwise: as the
// remote user, in the workspace folder, with remoteEnv — the same settings
// the lifecycle hooks use, so a command behaves as it would in VS Code's
// terminal.

import { envListToObject, substituteContainerEnv } from '../../devcontainer/substitute.js';
import { labelsOf, remoteUserOf, workspaceFolderOf, type ContainerInspect } from './container-info.js';
import { mergedFromLabels } from './hooks.js';

export interface ExecOverrides {
  user?: string | undefined;
  workdir?: string | undefined;
  /** `KEY=VALUE`, applied over remoteEnv. */
  env?: readonly string[] | undefined;
}

export interface ExecSettings {
  user: string | undefined;
  workdir: string;
  /** `KEY=VALUE` entries. */
  env: string[];
}

export function execSettings(inspect: ContainerInspect, overrides: ExecOverrides = {}): ExecSettings {
  const merged = mergedFromLabels(labelsOf(inspect));
  const containerEnv = envListToObject(inspect.Config.Env ?? []);
  const remoteEnv = substituteContainerEnv(merged.remoteEnv, containerEnv);
  const env = new Map<string, string>();
  for (const [key, value] of Object.entries(remoteEnv)) if (value !== null) env.set(key, value);
  for (const entry of overrides.env ?? []) {
    const eq = entry.indexOf('=');
    env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return {
    user: overrides.user ?? remoteUserOf(inspect, merged),
    workdir: overrides.workdir ?? workspaceFolderOf(inspect),
    env: [...env].map(([key, value]) => `${key}=${value}`),
  };
}
