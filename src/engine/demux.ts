// The engine multiplexes stdout and stderr of a container without a TTY into
// one stream of frames: an 8-byte header (stream type, 3 zero bytes, payload
// length as big-endian uint32) followed by the payload. Logs, attach and exec
// all use it.

import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OperationError } from '../common/errors.js';

export type FrameStream = 'stdin' | 'stdout' | 'stderr';

export interface Frame {
  stream: FrameStream;
  payload: Buffer;
}

const HEADER_LENGTH = 8;
const STREAM_TYPES: Record<number, FrameStream> = { 0: 'stdin', 1: 'stdout', 2: 'stderr' };
/** moby's stdcopy.Systemerr: the engine failed mid-stream; the payload is its message. */
const SYSTEM_ERROR = 3;

/** Incremental frame parser: feed it chunks as they arrive, split anywhere. */
export class FrameParser {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    const frames: Frame[] = [];
    while (this.pendingLength >= HEADER_LENGTH) {
      const buffer = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
      this.pending = [buffer];
      const type = buffer[0] ?? -1;
      const stream = STREAM_TYPES[type];
      if (stream === undefined && type !== SYSTEM_ERROR) {
        throw new OperationError('E_ENGINE_PROTOCOL', `Unexpected stream type ${type} in a multiplexed engine stream.`);
      }
      const length = buffer.readUInt32BE(4);
      if (buffer.length < HEADER_LENGTH + length) break;
      if (stream === undefined) {
        const message = buffer.subarray(HEADER_LENGTH, HEADER_LENGTH + length).toString('utf8');
        throw new OperationError('E_ENGINE_STREAM', `The engine reported an error in the stream: ${message}`);
      }
      frames.push({ stream, payload: buffer.subarray(HEADER_LENGTH, HEADER_LENGTH + length) });
      const rest = buffer.subarray(HEADER_LENGTH + length);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingLength = rest.length;
    }
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for more input. */
  get buffered(): number {
    return this.pendingLength;
  }
}

/**
 * Splits a multiplexed stream into stdout and stderr, honouring
 * backpressure of both destinations. Resolves when the source ends; a
 * truncated final frame is an error (the engine never sends one).
 */
export async function demultiplex(
  source: NodeJS.ReadableStream,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<void> {
  const parser = new FrameParser();
  const writeTo = (target: NodeJS.WritableStream, payload: Buffer): Promise<void> =>
    new Promise((resolve) => {
      if (target.write(payload)) resolve();
      else target.once('drain', resolve);
    });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      let frames: Frame[];
      try {
        frames = parser.push(chunk);
      } catch (error) {
        callback(error as Error);
        return;
      }
      frames
        .reduce<Promise<void>>(
          (previous, frame) =>
            previous.then(() => (frame.stream === 'stderr' ? writeTo(stderr, frame.payload) : writeTo(stdout, frame.payload))),
          Promise.resolve(),
        )
        .then(() => callback(), callback);
    },
    final(callback) {
      callback(
        parser.buffered > 0
          ? new OperationError('E_ENGINE_PROTOCOL', 'The engine stream ended in the middle of a frame.')
          : null,
      );
    },
  });
  await pipeline(source, sink);
}
