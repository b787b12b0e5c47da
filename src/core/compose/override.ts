// The Compose file pks adds after the user's own (`-f theirs… -f pks's`),
// kept in pks's folder, never in the project. For the workspace service it
// sets what pks sets on any dev container: the pks.* and devcontainer.*
// labels (so list and every later command find it), the container's name,
// the workspace volume in place of the bind mount of the project folder,
// the image with the Features, containerEnv, the user, and the keep-alive
// command when overrideCommand is on. Compose merges it into the service;
// everything else in the user's files stays as it is.

import path from 'node:path';
import { withoutUndefined } from '../../common/defined.js';
import type { MergedDevcontainerConfig } from '../../devcontainer/index.js';
import { keepAliveCommand, toEngineMount } from '../spawn/container-spec.js';

export interface OverrideInput {
  /** The user's files' `version`, repeated (Compose v1 refuses to merge different ones). */
  version?: string | undefined;
  service: string;
  containerName: string;
  labels: Readonly<Record<string, string>>;
  volumeName: string;
  /** Where the workspace volume is mounted. */
  mountPoint: string;
  /** Targets of the service's bind mounts of the project folder: the workspace volume covers them too. */
  replacedTargets: readonly string[];
  /** The image pks built (Features, metadata label); undefined: the service's own. */
  image?: string | undefined;
  merged: MergedDevcontainerConfig;
  /** Compose configurations default overrideCommand to false, as the spec says. */
  overrideCommand: boolean;
}

type Yaml = Record<string, unknown>;

export function composeOverride(input: OverrideInput): Yaml {
  const { merged } = input;
  const targets = [...new Set([input.mountPoint, ...input.replacedTargets])];
  const volumes: Yaml[] = targets.map((target) => ({ type: 'volume', source: 'pks-workspace', target }));
  for (const mount of merged.mounts ?? []) {
    const engine = toEngineMount(mount);
    if (engine === undefined) continue;
    volumes.push(withoutUndefined({ type: engine.Type, source: engine.Source, target: engine.Target, read_only: engine.ReadOnly === true ? true : undefined }));
  }
  const service: Yaml = withoutUndefined({
    container_name: input.containerName,
    labels: { ...input.labels },
    volumes,
    image: input.image,
    environment: Object.keys(merged.containerEnv).length === 0 ? undefined : { ...merged.containerEnv },
    user: merged.containerUser,
    init: merged.init ? true : undefined,
    privileged: merged.privileged ? true : undefined,
    cap_add: (merged.capAdd ?? []).length === 0 ? undefined : merged.capAdd,
    security_opt: (merged.securityOpt ?? []).length === 0 ? undefined : merged.securityOpt,
  });
  if (input.overrideCommand) {
    // The script as entrypoint, its arguments as command: a `command:` in
    // the user's file is replaced, never passed to the script.
    const [shell = '/bin/sh', flag = '-c', script = '', ...args] = keepAliveCommand(merged.entrypoints ?? []);
    service['entrypoint'] = [shell, flag, script];
    service['command'] = args;
  }
  return withoutUndefined({
    version: input.version,
    services: { [input.service]: service },
    volumes: { 'pks-workspace': { external: true, name: input.volumeName } },
  });
}

/** Every `$` doubled: Compose substitutes variables in the file, and pks's values are literal. */
function escapeDollars(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\$/g, '$$$$');
  if (Array.isArray(value)) return value.map(escapeDollars);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, escapeDollars(item)]));
  return value;
}

/** The file's text: JSON (YAML's subset, which both Compose versions read), values escaped. */
export function serializeOverride(override: Yaml): string {
  return `${JSON.stringify(escapeDollars(override), null, 2)}\n`;
}

/** Where pks keeps a Compose project's override file: in pks's folder, per project. */
export function overrideFilePath(pksHomeDir: string, projectName: string): string {
  return path.join(pksHomeDir, 'compose', projectName, 'docker-compose.pks.json');
}
