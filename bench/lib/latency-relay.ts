// A user-space TCP relay that simulates a slow link: it listens on
// 127.0.0.1:<port>, forwards every connection to one target (a test host's
// sshd) and holds each chunk for a fixed one-way delay in each direction, so
// 25 ms each way is a 50 ms round trip. The kernel here has no netem qdisc.
//
// Order is preserved: the delay is the same for every chunk of a direction, so
// a FIFO queue released by due time never reorders. Bandwidth is not limited;
// a direction stops reading from its source while more than `maxQueuedBytes`
// wait (the "in flight" data of the link), as TCP's window would.
// The relay lives at most `lifetimeMs` (then closes itself) and never keeps
// the process alive on its own.

import net from 'node:net';

export interface RelayOptions {
  targetHost: string;
  targetPort: number;
  /** Delay added to each chunk from client to target, in ms. */
  upMs: number;
  /** Delay added to each chunk from target to client, in ms. */
  downMs: number;
  /** The relay closes itself after this long (default: 30 minutes). */
  lifetimeMs?: number;
  maxQueuedBytes?: number;
}

export interface LatencyRelay {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /**
   * Request/response turns seen so far, over all connections: on each
   * connection, every burst of client bytes that reaches the relay after the
   * relay last delivered server bytes to that client (the client's first bytes
   * count as one). Sequential exchanges each count once; exchanges that
   * overlap on one connection can count more or fewer than the round trips
   * they cost in wall time.
   */
  readonly turns: number;
  close(): Promise<void>;
}

interface PipeHooks {
  /** A chunk arrived from `from`. */
  received?: () => void;
  /** A chunk was written to `to`. */
  delivered?: () => void;
}

/** Copies `from` to `to`, each chunk (and the end) delayed by `delayMs`, in order. */
function delayedPipe(from: net.Socket, to: net.Socket, delayMs: number, maxQueuedBytes: number, hooks: PipeHooks = {}): void {
  const queue: Array<{ due: number; chunk: Buffer | null }> = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;

  const release = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && (queue[0]?.due ?? Infinity) <= now) {
      const item = queue.shift();
      if (item === undefined) break;
      if (item.chunk === null) {
        to.end();
        continue;
      }
      queued -= item.chunk.length;
      if (!to.destroyed) to.write(item.chunk);
      hooks.delivered?.();
    }
    if (queued <= maxQueuedBytes && from.isPaused()) from.resume();
    schedule();
  };
  const schedule = (): void => {
    const next = queue[0];
    if (next === undefined || timer !== undefined) return;
    timer = setTimeout(release, Math.max(0, next.due - performance.now()));
  };
  const push = (chunk: Buffer | null): void => {
    if (delayMs <= 0 && queue.length === 0) {
      if (chunk === null) to.end();
      else if (!to.destroyed) {
        to.write(chunk);
        hooks.delivered?.();
      }
      return;
    }
    queue.push({ due: performance.now() + delayMs, chunk });
    if (chunk !== null) {
      queued += chunk.length;
      if (queued > maxQueuedBytes) from.pause();
    }
    schedule();
  };

  from.on('data', (chunk: Buffer) => {
    hooks.received?.();
    push(chunk);
  });
  from.on('end', () => push(null));
  // A reset (not a clean end) drops what is still in flight, as a cut link would.
  from.on('error', () => {
    if (timer !== undefined) clearTimeout(timer);
    queue.length = 0;
  });
}

export function startLatencyRelay(options: RelayOptions): Promise<LatencyRelay> {
  const maxQueuedBytes = options.maxQueuedBytes ?? 4 * 1024 * 1024;
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let turns = 0;
  // Half-open connections allowed: each side's end travels through the delay
  // like its data, and a socket closes once both directions have ended.
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    connections += 1;
    const upstream = net.connect({ host: options.targetHost, port: options.targetPort, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => sockets.delete(socket));
      // Either side failing ends both: the peer sees the connection drop.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    // On a real link TCP's handshake costs a round trip before the client's
    // first bytes can leave: they are held that long, then delayed as usual.
    upstream.once('connect', () => {
      setTimeout(() => {
        // The client's turn: it sends after it has received (its first bytes included).
        let serverSpokeLast = true;
        const received = (): void => {
          if (serverSpokeLast) turns += 1;
          serverSpokeLast = false;
        };
        delayedPipe(client, upstream, options.upMs, maxQueuedBytes, { received });
        delayedPipe(upstream, client, options.downMs, maxQueuedBytes, { delivered: () => (serverSpokeLast = true) });
        client.resume();
      }, options.upMs + options.downMs);
    });
  });
  server.unref();

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('relay: no TCP address'));
        return;
      }
      const close = (): Promise<void> =>
        new Promise((done) => {
          clearTimeout(lifetime);
          for (const socket of sockets) socket.destroy();
          if (!server.listening) {
            done();
            return;
          }
          server.close(() => done());
        });
      const lifetime = setTimeout(() => void close(), options.lifetimeMs ?? 30 * 60_000);
      lifetime.unref();
      resolve({
        port: address.port,
        get connections() {
          return connections;
        },
        get turns() {
          return turns;
        },
        close,
      });
    });
  });
}
