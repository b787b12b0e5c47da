// hostRequirements.gpu: whether the dev container gets the host's GPUs. As
// the reference CLI does, an engine is taken to have GPUs when it has the
// NVIDIA runtime (GET /info's Runtimes); then every GPU is requested, as
// `docker run --gpus all` does. `true` (or the object form) on an engine
// without one is an error, since the project says it cannot work without;
// "optional" goes on without GPUs, with a warning.

import { OperationError } from '../../common/errors.js';
import type { HostRequirements } from '../../devcontainer/index.js';
import type { EngineInfo } from '../../engine/index.js';
import { formatBytes } from '../remote/remote-check.js';

/** HostConfig.DeviceRequests for all GPUs (what `--gpus all` sends). */
export const ALL_GPUS = [{ Driver: '', Count: -1, Capabilities: [['gpu']] }] as const;

/** Whether the engine can give containers GPUs: it has the NVIDIA container runtime. */
export function engineHasGpus(info: Pick<EngineInfo, 'Runtimes'>): boolean {
  return Object.entries(info.Runtimes ?? {}).some(([name, runtime]) => name === 'nvidia' || /nvidia-container-runtime/.test(JSON.stringify(runtime)));
}

export interface GpuDecision {
  /** Request every GPU for the container. */
  request: boolean;
  warnings: string[];
}

/**
 * What the configuration's gpu requirement means on this engine; throws
 * E_GPU_UNAVAILABLE when GPUs are required and the engine has none.
 */
export function decideGpus(gpu: HostRequirements['gpu'], info: Pick<EngineInfo, 'Runtimes'>, where: string): GpuDecision {
  if (gpu === undefined || gpu === false) return { request: false, warnings: [] };
  const available = engineHasGpus(info);
  if (gpu === 'optional') {
    return available
      ? { request: true, warnings: [] }
      : { request: false, warnings: [`hostRequirements.gpu is "optional" and ${where} has no GPU runtime (NVIDIA): the container runs without GPUs.`] };
  }
  if (!available) {
    throw new OperationError('E_GPU_UNAVAILABLE', `The configuration requires a GPU (hostRequirements.gpu), but ${where} has no GPU runtime: its engine lists no NVIDIA runtime.`, {
      hint: 'Spawn on a host with GPUs and the NVIDIA Container Toolkit (--remote <id>), or set "hostRequirements": { "gpu": "optional" } to run without.',
    });
  }
  const warnings =
    typeof gpu === 'object' && (gpu.cores !== undefined || gpu.memory !== undefined)
      ? [`hostRequirements.gpu asks for ${[gpu.cores === undefined ? '' : `${gpu.cores} cores`, gpu.memory === undefined ? '' : `${/^\d+$/.test(gpu.memory) ? formatBytes(Number(gpu.memory)) : gpu.memory} of GPU memory`].filter((part) => part !== '').join(' and ')}; pks cannot check that on ${where} and requests all its GPUs.`]
      : [];
  return { request: true, warnings };
}
