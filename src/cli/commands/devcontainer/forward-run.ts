// `pks devcontainer forward`: ports on 127.0.0.1 here forwarded to a dev
// container (its address on the engine's machine), in the foreground until
// Ctrl-C.

import { UsageError } from '../../../common/errors.js';
import { inspectContainer } from '../../../core/containers/container-info.js';
import { forwardPlans, requireAddress } from '../../../core/containers/forwarding.js';
import { parsePortSpec } from '../../../core/containers/port-selection.js';
import { openContainerTarget } from '../../container-target.js';
import type { Context } from '../../context.js';
import { forwardContainerPorts, forwardingStopped, untilInterrupted } from '../../port-forwards.js';
import type { TargetFlags } from './container-label.js';

/** `8080` or `8080:18080`: a first argument like this is a port, not a container. */
const PORT_LIKE = /^\d+(:\d+)?$/;

/** The container argument and the port specs, however many of each were given. */
export function splitForwardArguments(container: string | undefined, ports: readonly string[]): { query: string | undefined; specs: string[] } {
  if (container !== undefined && PORT_LIKE.test(container)) return { query: undefined, specs: [container, ...ports] };
  return { query: container, specs: [...ports] };
}

export async function forwardCommand(ctx: Context, container: string | undefined, ports: string[], flags: TargetFlags): Promise<void> {
  const { query, specs } = splitForwardArguments(container, ports);
  // A wrong port is a command-line error before anything is contacted.
  for (const spec of specs) parsePortSpec(spec);
  const found = await openContainerTarget(ctx, query, flags.remote);
  const inspect = await inspectContainer(found.target.engine, found.container.containerId);
  requireAddress(inspect, found);
  const plans = forwardPlans(inspect, specs);
  if (plans.length === 0) {
    throw new UsageError(`No port to forward: none was given, and the configuration of ${found.container.name} forwards none (forwardPorts, appPort).`, {
      code: 'E_NO_PORTS',
      hint: `Name the ports: pks devcontainer forward ${found.reference} 3000 8080:18080${found.remoteFlag}`,
    });
  }
  const interrupted = untilInterrupted(ctx);
  await forwardContainerPorts(ctx, found, inspect, plans, 'stdout');
  ctx.reporter.info('Forwarding until Ctrl-C.');
  await interrupted;
  throw forwardingStopped();
}
