// A container's output as records, for `logs --format json`: one per line,
// with the stream it came from and the engine's time for it. The engine
// prefixes each line with its RFC 3339 time when asked (timestamps=1), so the
// time is the engine's, not when pks happened to read it.

import { StringDecoder } from 'node:string_decoder';
import { Writable } from 'node:stream';
import type { EngineClient } from '../../engine/index.js';
import type { ContainerInspect } from './container-info.js';
import { streamLogs, type LogsOptions } from './logs.js';

export interface LogLine {
  /** stdout or stderr; a container with a TTY has one stream, reported as stdout. */
  stream: 'stdout' | 'stderr';
  /** The engine's RFC 3339 time for the line; null if it gave none. */
  time: string | null;
  /** The line without its line break (invalid UTF-8 replaced). */
  text: string;
}

const TIMESTAMPED = /^(\d{4}-\d{2}-\d{2}T\S+) ([\s\S]*)$/;

export function parseLogLine(stream: LogLine['stream'], raw: string): LogLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const match = TIMESTAMPED.exec(line);
  return match === null ? { stream, time: null, text: line } : { stream, time: match[1] ?? null, text: match[2] ?? '' };
}

/** Takes a line; a promise makes the stream wait for it (the reader is slower than the container). */
export type LineHandler = (line: LogLine) => Promise<void> | void;

/** A sink that cuts what is written into lines and hands each on; a last line without a break is handed on at the end. */
function lineSink(stream: LogLine['stream'], onLine: LineHandler): Writable {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const emit = async (text: string, end: boolean): Promise<void> => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    if (end && partial !== '') lines.push(partial);
    for (const line of lines) await onLine(parseLogLine(stream, line));
  };
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      emit(decoder.write(chunk), false).then(() => callback(), callback);
    },
    final(callback) {
      emit(decoder.end(), true).then(() => callback(), callback);
    },
  });
}

export async function streamLogLines(
  engine: EngineClient,
  inspect: ContainerInspect,
  options: Omit<LogsOptions, 'stdout' | 'stderr' | 'timestamps'> & { onLine: LineHandler },
): Promise<void> {
  const { onLine, ...rest } = options;
  const stdout = lineSink('stdout', onLine);
  const stderr = lineSink('stderr', onLine);
  await streamLogs(engine, inspect, { ...rest, timestamps: true, stdout, stderr });
  await Promise.all([stdout, stderr].map((sink) => new Promise<void>((resolve, reject) => sink.end((error?: Error | null) => (error ? reject(error) : resolve())))));
}
