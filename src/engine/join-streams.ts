// A local connection joined to a channel (an SSH channel, a socket to a
// container): what one sends the other receives, and either closing ends the
// other once what it sent is through.

import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Joins a paused local socket to `channel` both ways and resumes it. */
export function joinStreams(local: Socket, channel: Duplex): void {
  channel.on('error', () => local.destroy());
  // A channel that closes (the far end hung up, or the link died) ends the
  // local connection once what it sent is flushed.
  channel.once('close', () => local.destroySoon());
  local.once('close', () => channel.destroy());
  local.pipe(channel);
  channel.pipe(local);
  local.resume();
}

/**
 * Pipes `local` (accepted paused) both ways to the stream `open` makes; a
 * close on either side ends the other once what it sent is flushed. When
 * `open` fails, `local` is destroyed and `onOpenFailed` told why.
 */
export function pipeThrough(local: Socket, open: () => Promise<Duplex>, onOpenFailed: (error: unknown) => void = () => undefined): void {
  open().then(
    (channel) => {
      if (local.destroyed) {
        channel.destroy();
        return;
      }
      joinStreams(local, channel);
    },
    (error: unknown) => {
      local.destroy();
      onOpenFailed(error);
    },
  );
}
