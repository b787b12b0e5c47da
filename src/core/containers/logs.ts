// A container's output through the engine's logs API: stdout and stderr stay
// apart (the engine multiplexes them unless the container has a TTY), and a
// follow ends when the container stops or the caller aborts.

import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { UsageError } from '../../common/errors.js';
import { demultiplex, streamBrokenError, type EngineClient } from '../../engine/index.js';
import type { ContainerInspect } from './container-info.js';

export interface LogsOptions {
  follow?: boolean;
  /** Only the last n lines. */
  tail?: number | undefined;
  timestamps?: boolean;
  /** Unix seconds. */
  since?: number | undefined;
  stdout: Writable;
  stderr: Writable;
  /** Ends a follow cleanly (Ctrl-C). */
  signal?: AbortSignal;
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/**
 * `--since`: a duration back from now (`90s`, `10m`, `1h30m`, `2d`), an RFC 3339
 * time (`2024-05-01T10:00:00Z`, or a date), or Unix seconds. Returns Unix seconds.
 */
export function parseSince(value: string, now: Date = new Date()): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return inRange(Number(text), value);
  if (DURATION.test(text)) {
    let seconds = 0;
    for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
      seconds += Number(amount) * (UNIT_SECONDS[unit ?? 's'] ?? 1);
    }
    return inRange(now.getTime() / 1000 - seconds, value);
  }
  const time = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(time)) return inRange(time / 1000, value);
  throw new UsageError(`--since: "${value}" is neither a duration nor a time.`, {
    code: 'E_BAD_SINCE',
    hint: 'Use a duration back from now (30s, 10m, 1h30m, 2d), an RFC 3339 time (2024-05-01T10:00:00Z) or Unix seconds.',
  });
}

/** The engine takes Unix seconds from 1970 to the year 9999; anything else it refuses with a parse error. */
const SINCE_MAX = 253_402_300_799;

function inRange(seconds: number, value: string): number {
  if (Number.isFinite(seconds) && seconds >= 0 && seconds <= SINCE_MAX) return seconds;
  throw new UsageError(`--since: "${value}" is out of range (before 1970 or after the year 9999).`, {
    code: 'E_BAD_SINCE',
    hint: 'Use a duration back from now (30s, 10m, 1h30m, 2d), an RFC 3339 time (2024-05-01T10:00:00Z) or Unix seconds.',
  });
}

function hasTty(inspect: ContainerInspect): boolean {
  return (inspect.Config as Record<string, unknown>).Tty === true;
}

export async function streamLogs(engine: EngineClient, inspect: ContainerInspect, options: LogsOptions): Promise<void> {
  const aborted = (): boolean => options.signal?.aborted === true;
  if (aborted()) return;
  const body = await engine.containerLogs(inspect.Id, {
    follow: options.follow,
    tail: options.tail,
    timestamps: options.timestamps,
    since: options.since,
  });
  const abort = (): void => {
    body.destroy();
  };
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    if (hasTty(inspect)) await pipeline(body, options.stdout, { end: false });
    else await demultiplex(body, options.stdout, options.stderr);
  } catch (error) {
    if (aborted()) return;
    const what = `${options.follow === true ? 'following' : 'reading'} the logs of ${inspect.Name.replace(/^\//, '')}`;
    throw streamBrokenError(engine.target, what, error);
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}
