// An http.Agent whose "sockets" are SSH channels to the remote engine's unix
// socket (direct-streamlocal@openssh.com) on one shared SSH connection. No
// local port is opened, so no other local user can reach the remote engine.

import { Agent, type AgentOptions, type ClientRequestArgs } from 'node:http';
import { Duplex } from 'node:stream';

export type OpenChannel = () => Promise<Duplex>;

function noop(): void {}

/**
 * node:http calls socket methods a channel does not have. They are no-ops,
 * as in ssh2's own HTTPAgent: there is no TCP socket to tune, liveness is
 * SSH keepalive's job, and the SSH connection's lifetime is managed by its
 * lease, not by ref/unref of individual channels.
 */
function decorate(channel: Duplex): Duplex {
  const socketLike = channel as Duplex & Record<string, unknown>;
  socketLike['setKeepAlive'] = noop;
  socketLike['setNoDelay'] = noop;
  socketLike['setTimeout'] = noop;
  socketLike['ref'] = noop;
  socketLike['unref'] = noop;
  socketLike['destroySoon'] = channel.destroy.bind(channel);
  // When the SSH connection dies, ssh2 emits 'close' on its channels but
  // leaves them writable (and a write to one is silently never completed).
  // node:http takes a closed socket out of its pool of idle connections only
  // once it is no longer writable: without this, the next request would be
  // sent on a dead channel and wait forever. ssh2's own destroy() only sends
  // a close message, so end the stream itself (ssh2 channels do not emit a
  // second 'close'). Registered before the agent's own listener.
  channel.once('close', () => {
    if (!channel.destroyed) Duplex.prototype.destroy.call(channel);
  });
  return channel;
}

export class SshChannelAgent extends Agent {
  constructor(
    private readonly openChannel: OpenChannel,
    options: AgentOptions,
  ) {
    super(options);
  }

  // node:http accepts the connection through the callback when this returns
  // nothing (Agent#createSocket), which lets the channel open asynchronously.
  override createConnection(
    _options: ClientRequestArgs,
    callback?: (error: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    this.openChannel().then(
      (channel) => callback?.(null, decorate(channel)),
      (error: unknown) => callback?.(error instanceof Error ? error : new Error(String(error)), undefined as unknown as Duplex),
    );
    return undefined;
  }
}
