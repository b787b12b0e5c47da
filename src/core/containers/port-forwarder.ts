// Forwarded ports: a listener on 127.0.0.1 here for each port, and for each
// connection to it a connection to the container's address as the engine's
// machine reaches it (a socket locally, an SSH direct-tcpip channel on a
// remote host: see EngineClient.openTcp). Nothing listens on any other
// address. The forwards live as long as the session: close() ends them.

import { createServer, type Server, type Socket } from 'node:net';
import { OperationError, errorMessage, systemErrorCode } from '../../common/errors.js';
import { pipeThrough, type EngineClient } from '../../engine/index.js';
import type { PortForwardPlan } from './port-selection.js';

/** Only loopback, ever: a forward is for this machine's user. */
export const FORWARD_HOST = '127.0.0.1';

/** How many ports after a busy one are tried before asking the system for any free port. */
const NEXT_PORT_TRIES = 100;

export interface ActiveForward extends PortForwardPlan {
  /** The local port in use (`localPort` is the one wanted). */
  boundPort: number;
}

export type ForwardEvent =
  | { type: 'forward-moved'; forward: ActiveForward; reason: string }
  | { type: 'connection-failed'; forward: ActiveForward; message: string };

export interface ForwardSession {
  forwards: ActiveForward[];
  /** Stops listening and ends every forwarded connection. Idempotent. */
  close(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ host: FORWARD_HOST, port, exclusive: true }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/** Why a local port cannot be used, or undefined when the error is something else. */
function unusable(error: unknown): string | undefined {
  const code = systemErrorCode(error);
  if (code === 'EADDRINUSE') return 'in use';
  if (code === 'EACCES' || code === 'EPERM') return 'not allowed for this user';
  return undefined;
}

/** The wanted port, else (unless it is required) the next free one. */
async function bind(server: Server, plan: PortForwardPlan): Promise<{ port: number; reason?: string }> {
  let reason: string | undefined;
  for (let port = plan.localPort; port <= Math.min(65535, plan.localPort + NEXT_PORT_TRIES); port++) {
    try {
      const bound = await listen(server, port);
      return reason === undefined ? { port: bound } : { port: bound, reason };
    } catch (error) {
      const why = unusable(error);
      if (why === undefined) throw error;
      reason ??= `${FORWARD_HOST}:${plan.localPort} is ${why}`;
      if (plan.requireLocalPort) {
        throw new OperationError('E_PORT_BUSY', `Cannot forward container port ${plan.containerPort} (${plan.label}): ${reason}, and that local port is required.`, {
          hint: `Free ${FORWARD_HOST}:${plan.localPort} (see: ss -ltnp 'sport = :${plan.localPort}'), or forward to another local port: <container port>:<local port>.`,
        });
      }
    }
  }
  return { port: await listen(server, 0), reason: reason ?? 'no port nearby is free' };
}

/**
 * Listens for each plan, in order (so that two forwards never want the same
 * port), and forwards each connection to `address` on the engine's machine.
 */
export async function openForwards(
  engine: EngineClient,
  address: string,
  plans: readonly PortForwardPlan[],
  onEvent: (event: ForwardEvent) => void = () => undefined,
): Promise<ForwardSession> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const forwards: ActiveForward[] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  };
  try {
    for (const plan of plans) {
      const server = createServer({ pauseOnConnect: true });
      servers.push(server);
      const { port, reason } = await bind(server, plan);
      const forward: ActiveForward = { ...plan, boundPort: port };
      forwards.push(forward);
      if (reason !== undefined) onEvent({ type: 'forward-moved', forward, reason });
      server.on('connection', (local: Socket) => {
        sockets.add(local);
        local.once('close', () => sockets.delete(local));
        local.on('error', () => local.destroy());
        relay(engine, address, forward, local, onEvent);
      });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { forwards, close };
}

function relay(engine: EngineClient, address: string, forward: ActiveForward, local: Socket, onEvent: (event: ForwardEvent) => void): void {
  pipeThrough(local, () => engine.openTcp(address, forward.containerPort), (error) => onEvent({ type: 'connection-failed', forward, message: errorMessage(error) }));
}
