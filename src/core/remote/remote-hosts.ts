// Use cases around registered hosts that need their engine.

import { errorMessage } from '../../common/errors.js';
import { NO_RETRY } from '../../common/retry.js';
import { openSshEngine } from '../../engine/index.js';
import type { RemoteTarget } from './host-ssh-target.js';

export const MANAGED_LABEL = 'pks.managed';

export type ContainerCount = { status: 'counted'; count: number } | { status: 'unreachable'; reason: string };

/**
 * How many pks-managed containers (running or not) live on a host. Used to
 * tell the user what stays behind when a host is forgotten; never prompts.
 */
export async function countManagedContainers(target: RemoteTarget): Promise<ContainerCount> {
  try {
    const { prompts: _prompts, ...quiet } = target.options;
    // Only to tell the user a number: not worth waiting for retries.
    const engine = await openSshEngine({ ...quiet, acceptNewHostKey: false, retry: NO_RETRY });
    try {
      const containers = await engine.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=true`] } });
      return { status: 'counted', count: containers.length };
    } finally {
      await engine.close();
    }
  } catch (error) {
    return { status: 'unreachable', reason: errorMessage(error) };
  }
}
