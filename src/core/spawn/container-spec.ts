// The Engine API create request for a dev container, from the merged
// configuration: env, users, mounts, init, privileged, capabilities, security
// options, the entrypoint (or the keep-alive command when overrideCommand is
// on) and the common runArgs. Pure: no engine, no files.

import path from 'node:path';
import { parseMountString, type MergedDevcontainerConfig, type Mount } from '../../devcontainer/index.js';
import { AGENT_DIR_IN_CONTAINER, AGENT_SOCKET_IN_CONTAINER } from '../containers/ssh-agent.js';
import { parseRunArgs } from './run-args.js';
import { ALL_GPUS } from './gpu.js';

export interface ContainerSpecInput {
  imageName: string;
  merged: MergedDevcontainerConfig;
  labels: Record<string, string>;
  volumeName: string;
  /** Where the workspace volume is mounted. */
  volumeMountPoint: string;
  workspaceFolder: string;
  /** True when the engine is on another machine: bind sources resolve there. */
  remote: boolean;
  /** `build` and `image` configs default overrideCommand to true, as the spec says. */
  overrideCommandDefault: boolean;
  /** The image's Entrypoint then Cmd: what runs after the Features' entrypoints when overrideCommand is false. */
  imageCommand?: readonly string[] | undefined;
  /** devcontainer.json's appPort: published like `-p` (a bare port on 127.0.0.1, as the reference does). */
  appPort?: number | string | Array<number | string> | undefined;
  /** The host folder that holds the forwarded SSH agent's socket (see ssh-agent.ts); undefined: no forwarding. */
  agentDir?: string | undefined;
  /** Request all of the engine's GPUs (hostRequirements.gpu, see gpu.ts). */
  gpus?: boolean | undefined;
  /**
   * The workspace volume is new and the engine makes it with the container
   * (one request instead of two), with these labels; undefined: it exists, or
   * is created before.
   */
  newVolumeLabels?: Record<string, string> | undefined;
}

function appPortArgs(appPort: ContainerSpecInput['appPort']): string[] {
  const ports = appPort === undefined ? [] : Array.isArray(appPort) ? appPort : [appPort];
  return ports.flatMap((port) => ['-p', typeof port === 'number' ? `127.0.0.1:${port}:${port}` : port]);
}

export interface ContainerSpec {
  body: Record<string, unknown>;
  warnings: string[];
}

interface EngineMount {
  Type: string;
  Source?: string | undefined;
  Target: string;
  ReadOnly?: boolean;
  /** A named volume the engine creates with the container, with these labels. */
  VolumeOptions?: { Labels: Record<string, string> };
}

export function toEngineMount(mount: Mount): EngineMount | undefined {
  const fields: Record<string, string | undefined> =
    typeof mount === 'string' ? parseMountString(mount) : { type: mount.type, source: mount.source, target: mount.target };
  const target = fields['target'];
  if (target === undefined || target === '') return undefined;
  const readOnly = 'readonly' in fields || 'ro' in fields ? fields['readonly'] !== 'false' && fields['ro'] !== 'false' : false;
  return {
    Type: fields['type'] ?? 'volume',
    Source: fields['source'] === '' ? undefined : fields['source'],
    Target: target,
    ...(readOnly ? { ReadOnly: true } : {}),
  };
}

/**
 * The container's main process when overrideCommand is on: run the Features'
 * entrypoints, then wait for a stop signal without busy work. Arguments are
 * passed as argv to sh, never spliced into the script.
 */
export function keepAliveCommand(entrypoints: readonly string[]): string[] {
  const script = [
    'trap "exit 0" TERM INT',
    'for entrypoint in "$@"; do /bin/sh -c "$entrypoint" || echo "pks: entrypoint failed: $entrypoint" >&2; done',
    'echo "pks: container started"',
    'while sleep 1000 & wait $!; do :; done',
  ].join('\n');
  return ['/bin/sh', '-c', script, 'pks-init', ...entrypoints];
}

/**
 * The container's main process when overrideCommand is false and Features
 * have entrypoints: run them, then hand over to the image's own command (its
 * entrypoint and cmd, as argv), as the reference CLI wraps them; with no
 * command, wait for a stop signal as keepAliveCommand does. The first
 * argument counts the entrypoints, so no entrypoint is taken for the command.
 */
function entrypointsThenCommand(entrypoints: readonly string[], command: readonly string[]): string[] {
  const script = [
    'trap "exit 0" TERM INT',
    'count=$1; shift',
    'while [ "$count" -gt 0 ]; do /bin/sh -c "$1" || echo "pks: entrypoint failed: $1" >&2; shift; count=$((count - 1)); done',
    'echo "pks: container started"',
    '[ "$#" -eq 0 ] || exec "$@"',
    'while sleep 1000 & wait $!; do :; done',
  ].join('\n');
  return ['/bin/sh', '-c', script, 'pks-init', String(entrypoints.length), ...entrypoints, ...command];
}

export function buildContainerSpec(input: ContainerSpecInput): ContainerSpec {
  const { merged } = input;
  const warnings: string[] = [];
  const runArgs = parseRunArgs([...(merged.runArgs ?? []), ...appPortArgs(input.appPort)]);
  if (runArgs.ignored.length > 0) warnings.push(`runArgs not supported by pks, ignored: ${runArgs.ignored.join(' ')}`);

  const workspaceMount: EngineMount = { Type: 'volume', Source: input.volumeName, Target: input.volumeMountPoint };
  if (input.newVolumeLabels !== undefined) workspaceMount.VolumeOptions = { Labels: input.newVolumeLabels };
  const mounts: EngineMount[] = [workspaceMount];
  for (const mount of merged.mounts ?? []) {
    const engineMount = toEngineMount(mount);
    if (engineMount === undefined) {
      warnings.push(`mount without a target ignored: ${JSON.stringify(mount)}`);
      continue;
    }
    if (engineMount.Type === 'bind' && input.remote && engineMount.Source !== undefined) {
      warnings.push(
        `the bind mount ${engineMount.Source} → ${engineMount.Target} is resolved on the remote host, not on this machine: ` +
          'the folder must exist there (use a volume to keep data with the container).',
      );
    }
    mounts.push(engineMount);
  }
  for (const bind of runArgs.binds) {
    const source = bind.split(':')[0] ?? '';
    if (input.remote && path.isAbsolute(source)) {
      warnings.push(`runArgs -v ${bind}: ${source} is resolved on the remote host, not on this machine.`);
    }
  }

  const env = [
    // First: the configuration's own SSH_AUTH_SOCK, if any, comes later and wins.
    ...(input.agentDir === undefined ? [] : [`SSH_AUTH_SOCK=${AGENT_SOCKET_IN_CONTAINER}`]),
    ...Object.entries(merged.containerEnv).map(([key, value]) => `${key}=${value}`),
    ...runArgs.env,
  ];
  // A bind (not a mount) for the agent's folder: when the host lost it (a
  // reboot emptied /tmp) the engine makes it again rather than refuse to start.
  const binds = [...runArgs.binds, ...(input.agentDir === undefined ? [] : [`${input.agentDir}:${AGENT_DIR_IN_CONTAINER}`])];
  const overrideCommand = merged.overrideCommand ?? input.overrideCommandDefault;
  const entrypoints = merged.entrypoints ?? [];
  const main = overrideCommand
    ? keepAliveCommand(entrypoints)
    : entrypoints.length > 0
      ? entrypointsThenCommand(entrypoints, input.imageCommand ?? [])
      : undefined;
  const user = runArgs.user ?? merged.containerUser;
  const hostConfig: Record<string, unknown> = {
    Mounts: mounts,
    Init: runArgs.init ?? merged.init,
    Privileged: runArgs.privileged ?? merged.privileged,
    CapAdd: [...(merged.capAdd ?? []), ...runArgs.capAdd],
    CapDrop: runArgs.capDrop,
    SecurityOpt: [...(merged.securityOpt ?? []), ...runArgs.securityOpt],
    ...(binds.length > 0 ? { Binds: binds } : {}),
    ...(runArgs.devices.length > 0 ? { Devices: runArgs.devices } : {}),
    ...(runArgs.extraHosts.length > 0 ? { ExtraHosts: runArgs.extraHosts } : {}),
    ...(Object.keys(runArgs.portBindings).length > 0 ? { PortBindings: runArgs.portBindings } : {}),
    NetworkMode: runArgs.networkMode,
    Memory: runArgs.memory,
    NanoCpus: runArgs.nanoCpus,
    ShmSize: runArgs.shmSize,
    ...(input.gpus === true ? { DeviceRequests: ALL_GPUS } : {}),
  };
  const body: Record<string, unknown> = {
    Image: input.imageName,
    Labels: { ...runArgs.labels, ...input.labels },
    Env: env,
    WorkingDir: input.workspaceFolder,
    User: user,
    Hostname: runArgs.hostname,
    ...(Object.keys(runArgs.portBindings).length > 0
      ? { ExposedPorts: Object.fromEntries(Object.keys(runArgs.portBindings).map((port) => [port, {}])) }
      : {}),
    Entrypoint: main?.slice(0, 1),
    Cmd: main?.slice(1),
    HostConfig: hostConfig,
  };
  return { body, warnings };
}
