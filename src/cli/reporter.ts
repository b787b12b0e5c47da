// The one way pks talks to people. Data goes to stdout (tables, JSON, URIs);
// everything meant for a human reading along (progress, warnings, errors) goes
// to stderr, so `pks ... --format json | jq` always gets clean data. With
// `--log-format json` every stderr message becomes one JSON object per line.
//
// Everything leaves through here made safe for a terminal (see
// common/terminal-text.ts): messages and data may quote labels, engine replies
// and remote hosts, so their control characters are escaped; colour codes are
// dropped from messages and JSON lines, and kept in relayed program output
// only when `colour` is on.

import type { Writable } from 'node:stream';
import {
  escapeControlsKeepingLayout,
  jsonForTerminal,
  programOutputForTerminal,
  stripColour,
} from '../common/terminal-text.js';

export type LogLevel = 'debug' | 'info' | 'success' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';

export interface LogRecord {
  level: LogLevel;
  message: string;
  /** Stable identifier for scripts and tests, e.g. "E_ENGINE_UNREACHABLE". */
  code?: string | undefined;
  hint?: string | undefined;
  details?: string[] | undefined;
}

export interface ReporterOptions {
  stdout: Writable;
  stderr: Writable;
  verbose?: boolean;
  logFormat?: LogFormat;
  /** Let the colour codes of relayed build and hook output through (see colourWanted). */
  colour?: boolean;
  /** Injected for tests; defaults to the wall clock. */
  now?: () => Date;
}

const TEXT_PREFIX: Record<LogLevel, string> = {
  debug: 'debug: ',
  info: '',
  success: '✔ ',
  warn: 'warning: ',
  error: 'error: ',
};

export class Reporter {
  readonly verbose: boolean;
  readonly logFormat: LogFormat;
  readonly colour: boolean;
  private readonly stdout: Writable;
  private readonly stderr: Writable;
  private readonly now: () => Date;
  private dataWritten = false;

  constructor(options: ReporterOptions) {
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.verbose = options.verbose ?? false;
    this.logFormat = options.logFormat ?? 'text';
    this.colour = this.logFormat === 'text' && options.colour === true;
    this.now = options.now ?? (() => new Date());
  }

  debug(message: string): void {
    if (this.verbose) this.log({ level: 'debug', message });
  }

  info(message: string, code?: string): void {
    this.log(code === undefined ? { level: 'info', message } : { level: 'info', message, code });
  }

  success(message: string): void {
    this.log({ level: 'success', message });
  }

  warn(message: string, hint?: string, code?: string): void {
    this.log({ level: 'warn', message, hint, code });
  }

  log(record: LogRecord): void {
    if (record.level === 'debug' && !this.verbose) return;
    if (this.logFormat === 'json') {
      this.jsonLine({ time: this.now().toISOString(), ...record });
      return;
    }
    const lines = [`${TEXT_PREFIX[record.level]}${record.message}`];
    if (record.hint !== undefined) lines.push(`  hint: ${record.hint}`);
    if (this.verbose && record.details !== undefined) {
      for (const detail of record.details) lines.push(`  ${detail}`);
    }
    this.stderr.write(`${escapeControlsKeepingLayout(stripColour(lines.join('\n')))}\n`);
  }

  /** With --log-format json, one progress event as a JSON line on stderr; nothing in text mode. */
  event(event: Record<string, unknown>): void {
    if (this.logFormat !== 'json') return;
    this.jsonLine({ time: this.now().toISOString(), level: 'event', ...event });
  }

  /** Relays a program's output to stderr (a build, a lifecycle hook): colour only where wanted, no other control. */
  progress(text: string): void {
    if (this.logFormat === 'json') return;
    this.stderr.write(programOutputForTerminal(text, this.colour));
  }

  /** True once data or JSON went to stdout: a failure after it must not add a second document. */
  get wroteData(): boolean {
    return this.dataWritten;
  }

  /** Writes data (already rendered text) to stdout; values in it are shown with their control characters escaped. */
  data(text: string): void {
    const safe = escapeControlsKeepingLayout(text);
    this.dataWritten = true;
    this.stdout.write(safe.endsWith('\n') ? safe : `${safe}\n`);
  }

  /** Writes one JSON document to stdout: the exact values, every control character JSON-escaped. */
  json(value: unknown): void {
    this.dataWritten = true;
    this.stdout.write(`${jsonForTerminal(value, 2)}\n`);
  }

  /**
   * One record of a stream of JSON lines on stdout (`logs --format json`):
   * one line, every control character JSON-escaped. Resolves once stdout
   * takes more, so a slow reader holds the stream back instead of memory growing.
   */
  async jsonRecord(value: unknown): Promise<void> {
    this.dataWritten = true;
    if (this.stdout.write(`${jsonForTerminal(value)}\n`)) return;
    await new Promise<void>((resolve) => this.stdout.once('drain', () => resolve()));
  }

  /** A JSON line on stderr: colour codes removed from every string (they are not part of any message), the rest JSON-escaped. */
  private jsonLine(record: Record<string, unknown>): void {
    this.stderr.write(`${jsonForTerminal(withoutColour(record))}\n`);
  }
}

function withoutColour(value: unknown): unknown {
  if (typeof value === 'string') return stripColour(value);
  if (Array.isArray(value)) return value.map(withoutColour);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutColour(item)]));
  }
  return value;
}

/**
 * Whether relayed output may stay coloured, by the usual conventions: never
 * with NO_COLOR set (no-color.org); FORCE_COLOR=0/false turns colour off and
 * any other FORCE_COLOR turns it on; otherwise only on a terminal that is not
 * TERM=dumb.
 */
export function colourWanted(env: NodeJS.ProcessEnv, stream: { isTTY?: boolean }): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}
