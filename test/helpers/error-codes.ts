// The stable codes of a pks run's errors, for tests where the code is the
// point and the wording is not: with `--log-format json` every message on
// stderr is one JSON line carrying its `code`, and with `--format json` a
// failure is the `{"outcome":"error","code":…}` document on stdout.

import assert from 'node:assert/strict';
import type { PksResult } from './pks-cli.js';

export interface LogLine {
  level: string;
  message: string;
  code?: string;
  hint?: string;
}

/** The JSON lines on stderr (a run with `--log-format json`); other lines are left out. */
export function logLines(result: Pick<PksResult, 'stderr'>): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of result.stderr.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      const value = JSON.parse(text) as Partial<LogLine>;
      if (typeof value.level === 'string' && typeof value.message === 'string') lines.push(value as LogLine);
    } catch {
      // not a log line
    }
  }
  return lines;
}

/** The codes of every error on stderr, in order. */
export function errorCodes(result: Pick<PksResult, 'stderr'>): string[] {
  return logLines(result).flatMap((line) => (line.level === 'error' && line.code !== undefined ? [line.code] : []));
}

/** The code the command failed with: the `--format json` outcome on stdout, else the last error on stderr. */
export function errorCode(result: Pick<PksResult, 'stdout' | 'stderr'>): string | undefined {
  try {
    const outcome = JSON.parse(result.stdout) as { outcome?: unknown; code?: unknown };
    if (outcome.outcome === 'error' && typeof outcome.code === 'string') return outcome.code;
  } catch {
    // no JSON document on stdout
  }
  return errorCodes(result).at(-1);
}

/** The command exited with `exit` (2 = usage, 1 = failed) and failed with the error `code`. */
export function assertErrorCode(result: PksResult, code: string, exit: number): void {
  const shown = `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
  assert.equal(errorCode(result), code, shown);
  assert.equal(result.code, exit, shown);
}

/** The last error on stderr, message and hint as pks wrote them (unescaped), for the tests where a hint is the point. */
export function lastError(result: Pick<PksResult, 'stderr'>): LogLine {
  const line = logLines(result).filter((l) => l.level === 'error').at(-1);
  assert.ok(line !== undefined, `no error line on stderr: ${result.stderr}`);
  return line;
}

/**
 * The step `remote add` or `remote test` marked failed (`✖ <title> <detail>`,
 * its hint on the next line) in a `--log-format json` run; exactly one step fails.
 */
export function failedStep(result: Pick<PksResult, 'stderr'>, title: string): string {
  const failed = logLines(result).filter((line) => line.message.startsWith('✖ '));
  assert.equal(failed.length, 1, `one failed step\nstderr: ${result.stderr}`);
  const message = failed[0]?.message ?? '';
  assert.ok(message.startsWith(`✖ ${title} `), `the ${title} step failed\nstderr: ${result.stderr}`);
  return message;
}
