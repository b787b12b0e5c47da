// How much of a build context has gone to the engine, as events: a remote
// build's context crosses the network, and on a slow link that is where the
// time goes before the first build step shows. Counted as the engine reads
// the tar, so a stalled connection shows as a stalled figure.

import { Transform, pipeline, type Readable } from 'node:stream';
import type { PreparePhase, ProgressListener } from './progress.js';

/** At most this often a progress event while the context streams; the last one always comes. */
const EVERY_MS = 100;

/** `context` as it is sent, with `context-progress` events: throttled while it streams, then one with `done`. */
export function withContextProgress(context: Readable, phase: PreparePhase, listener: ProgressListener | undefined): Readable {
  if (listener === undefined) return context;
  const started = performance.now();
  let bytes = 0;
  let last = started;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      const now = performance.now();
      if (now - last >= EVERY_MS) {
        last = now;
        listener({ type: 'context-progress', phase, bytes, done: false, durationMs: Math.round(now - started) });
      }
      callback(null, chunk);
    },
    flush(callback) {
      listener({ type: 'context-progress', phase, bytes, done: true, durationMs: Math.round(performance.now() - started) });
      callback();
    },
  });
  // Errors and aborts travel both ways: a failed read fails the request, a dropped request stops the reading.
  return pipeline(context, counter, () => undefined);
}
