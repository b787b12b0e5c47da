// Forwarded ports as the commands show them: one line per forward
// (`127.0.0.1:3000 -> pks-me-api-1a2b3c4d:3000 (web)`), a notice when a busy
// local port was replaced by the next free one, and a warning when a
// connection could not reach the container. Used by `forward`, and by `shell`
// and `connect` while they run.

import { ExitCode, PksError, isPksError } from '../common/errors.js';
import { escapeControls } from '../common/terminal-text.js';
import { forwardPlans, startForwarding, type Forwarding } from '../core/containers/forwarding.js';
import type { ContainerInspect } from '../core/containers/container-info.js';
import type { ActiveForward, ForwardEvent } from '../core/containers/port-forwarder.js';
import { FORWARD_HOST } from '../core/containers/port-forwarder.js';
import type { PortForwardPlan } from '../core/containers/port-selection.js';
import type { ContainerTarget } from './container-target.js';
import type { Context } from './context.js';

/** `127.0.0.1:18080 -> pks-me-api-1a2b3c4d:8080 (web)`; the label comes from a configuration: one line, escaped. */
export function forwardLine(forward: ActiveForward, containerName: string): string {
  return `${FORWARD_HOST}:${forward.boundPort} -> ${containerName}:${forward.containerPort} (${escapeControls(forward.label)})`;
}

function forwardMessages(ctx: Context): (event: ForwardEvent) => void {
  // One warning per forward until a connection through it works again would
  // need success events; one per forward and second keeps a refusing port
  // from flooding the terminal.
  const lastWarned = new Map<number, number>();
  return (event) => {
    if (event.type === 'forward-moved') {
      ctx.reporter.warn(`${event.reason}: container port ${event.forward.containerPort} is forwarded from ${FORWARD_HOST}:${event.forward.boundPort} instead.`, undefined, 'W_PORT_MOVED');
      return;
    }
    const now = Date.now();
    if (now - (lastWarned.get(event.forward.containerPort) ?? 0) < 1_000) return;
    lastWarned.set(event.forward.containerPort, now);
    ctx.reporter.warn(
      `A connection to ${FORWARD_HOST}:${event.forward.boundPort} could not reach port ${event.forward.containerPort} in the container: ${escapeControls(event.message)}.`,
      'Is something listening on that port in the container (on all addresses, not only its own 127.0.0.1)?',
      'W_FORWARD_FAILED',
    );
  };
}

/**
 * Starts forwarding `plans` to the container; they end when the command
 * ends (the context closes them). The lines go to stdout (`forward`) or to
 * stderr (`shell`, `connect`, whose stdout is taken).
 */
export async function forwardContainerPorts(
  ctx: Context,
  found: ContainerTarget,
  inspect: ContainerInspect,
  plans: readonly PortForwardPlan[],
  linesTo: 'stdout' | 'stderr',
): Promise<Forwarding> {
  const forwarding = await startForwarding({
    engine: found.target.engine,
    inspect,
    plans,
    hostId: found.target.hostId,
    env: ctx.env,
    remoteFlag: found.remoteFlag,
    reference: found.reference,
    onEvent: forwardMessages(ctx),
  });
  ctx.defer(forwarding);
  const lines = forwarding.forwards.map((forward) => forwardLine(forward, found.container.name));
  if (lines.length > 0) {
    if (linesTo === 'stdout') ctx.reporter.data(lines.join('\n'));
    else for (const line of lines) ctx.reporter.info(`Forwarding ${line}`);
  }
  return forwarding;
}

/**
 * The configuration's ports (forwardPorts, appPort), forwarded while
 * `shell` or `connect` runs. A convenience there: what keeps a port from
 * being forwarded is a warning, and the command goes on.
 */
export async function forwardConfiguredPorts(ctx: Context, found: ContainerTarget, inspect: ContainerInspect): Promise<Forwarding | undefined> {
  const plans = forwardPlans(inspect, []);
  if (plans.length === 0) return undefined;
  try {
    return await forwardContainerPorts(ctx, found, inspect, plans, 'stderr');
  } catch (error) {
    if (!isPksError(error)) throw error;
    ctx.reporter.warn(`Not forwarding the configuration's ports: ${error.message}`, error.hint, 'W_FORWARD_FAILED');
    return undefined;
  }
}

/** Resolves when the user presses Ctrl-C (or the process gets SIGTERM). */
export function untilInterrupted(ctx: Context): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe = ctx.onInterrupt?.(() => {
      unsubscribe?.();
      resolve();
    });
    if (unsubscribe !== undefined) ctx.defer({ close: async () => unsubscribe() });
  });
}

/** Ctrl-C is how forwarding in the foreground ends: exit 130, as for any interrupted command. */
export function forwardingStopped(): PksError {
  return new PksError('E_INTERRUPTED', 'Stopped forwarding (Ctrl-C).', ExitCode.Interrupted);
}
