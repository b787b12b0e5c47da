// Forwarding a dev container's ports for as long as a command runs (`forward`,
// and `shell`/`connect` while they last): which ports, to which address, the
// listeners, and the entry in the registry of forwards in force that `list`
// and `inspect` read.

import { OperationError } from '../../common/errors.js';
import type { EngineClient } from '../../engine/index.js';
import { registerForwards } from '../../store/forward-registry.js';
import { containerAddress, containerName, labelsOf, publishedPorts, type ContainerInspect } from './container-info.js';
import { mergedFromLabels } from './hooks.js';
import { openForwards, type ActiveForward, type ForwardEvent } from './port-forwarder.js';
import { commandLineForwards, configuredForwards, type PortConfiguration, type PortForwardPlan } from './port-selection.js';

/** The Compose service label the engine's Compose sets on each service's containers. */
const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** The configuration's port settings as the container recorded them (devcontainer.metadata) and the ports it publishes. */
export function portConfigurationOf(inspect: ContainerInspect): PortConfiguration {
  const labels = labelsOf(inspect);
  const merged = mergedFromLabels(labels);
  return {
    forwardPorts: merged.forwardPorts,
    portsAttributes: merged.portsAttributes,
    otherPortsAttributes: merged.otherPortsAttributes as Record<string, unknown> | undefined,
    appPorts: publishedPorts(inspect),
    service: labels[COMPOSE_SERVICE_LABEL],
  };
}

/** The ports to forward: the specs given, else the configuration's. */
export function forwardPlans(inspect: ContainerInspect, specs: readonly string[]): PortForwardPlan[] {
  const config = portConfigurationOf(inspect);
  return specs.length > 0 ? commandLineForwards(specs, config) : configuredForwards(config);
}

export interface ForwardingOptions {
  engine: EngineClient;
  inspect: ContainerInspect;
  plans: readonly PortForwardPlan[];
  /** `local` or the remote id. */
  hostId: string;
  env: NodeJS.ProcessEnv;
  /** ` --remote r1` or empty, for hints. */
  remoteFlag: string;
  /** The container in suggested commands. */
  reference: string;
  onEvent?: (event: ForwardEvent) => void;
}

export interface Forwarding {
  address: string;
  forwards: ActiveForward[];
  /** Ends the forwards and removes their registry entry. Idempotent. */
  close(): Promise<void>;
}

/** The container's address, or why there is none. */
export function requireAddress(inspect: ContainerInspect, where: { remoteFlag: string; reference: string }): string {
  const name = containerName(inspect);
  if (!inspect.State.Running) {
    throw new OperationError('E_CONTAINER_STOPPED', `The dev container ${name} is ${inspect.State.Status}: there is nothing to forward to.`, {
      hint: `Start it first: pks devcontainer start ${where.reference}${where.remoteFlag}`,
    });
  }
  const address = containerAddress(inspect);
  if (address === undefined) {
    throw new OperationError('E_NO_CONTAINER_ADDRESS', `The dev container ${name} has no network address (network mode ${inspect.HostConfig?.NetworkMode ?? 'unknown'}), so its ports cannot be reached.`, {
      hint: 'Run it on a network with addresses (the engine\'s default bridge: no --network none in runArgs, and an engine started with a bridge), then rebuild: pks devcontainer rebuild',
    });
  }
  return address;
}

/** Listens for each plan and records the forwards in force until close(). */
export async function startForwarding(options: ForwardingOptions): Promise<Forwarding> {
  const { engine, inspect } = options;
  const address = requireAddress(inspect, options);
  const session = await openForwards(engine, address, options.plans, options.onEvent);
  let unregister: () => Promise<void>;
  try {
    unregister = await registerForwards(options.env, {
      hostId: options.hostId,
      containerId: inspect.Id,
      containerName: containerName(inspect),
      address,
      forwards: session.forwards.map((forward) => ({ localPort: forward.boundPort, containerPort: forward.containerPort, label: forward.label })),
    });
  } catch (error) {
    await session.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    address,
    forwards: session.forwards,
    close: () => (closing ??= Promise.all([session.close(), unregister()]).then(() => undefined)),
  };
}
