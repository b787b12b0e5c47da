// The one way pks talks to people. Data goes to stdout (tables, JSON, URIs);
// everything meant for a human reading along (progress, warnings, errors) goes
// to stderr, so `pks ... --format json | jq` always gets clean data. With
// `--log-format json` every stderr message becomes one JSON object per line.

import type { Writable } from 'node:stream';

export type LogLevel = 'debug' | 'info' | 'success' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';

export interface LogRecord {
  level: LogLevel;
  message: string;
  /** Stable identifier for scripts and tests, e.g. "E_ENGINE_UNREACHABLE". */
  code?: string;
  hint?: string;
  details?: string[];
}

export interface ReporterOptions {
  stdout: Writable;
  stderr: Writable;
  verbose?: boolean;
  logFormat?: LogFormat;
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
  private readonly stdout: Writable;
  private readonly stderr: Writable;
  private readonly now: () => Date;

  constructor(options: ReporterOptions) {
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.verbose = options.verbose ?? false;
    this.logFormat = options.logFormat ?? 'text';
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
    this.log({ level: 'warn', message, ...(hint === undefined ? {} : { hint }), ...(code === undefined ? {} : { code }) });
  }

  log(record: LogRecord): void {
    if (record.level === 'debug' && !this.verbose) return;
    if (this.logFormat === 'json') {
      this.stderr.write(`${JSON.stringify({ time: this.now().toISOString(), ...record })}\n`);
      return;
    }
    const lines = [`${TEXT_PREFIX[record.level]}${record.message}`];
    if (record.hint !== undefined) lines.push(`  hint: ${record.hint}`);
    if (this.verbose && record.details !== undefined) {
      for (const detail of record.details) lines.push(`  ${detail}`);
    }
    this.stderr.write(`${lines.join('\n')}\n`);
  }

  /** With --log-format json, one progress event as a JSON line on stderr; nothing in text mode. */
  event(event: Record<string, unknown>): void {
    if (this.logFormat !== 'json') return;
    this.stderr.write(`${JSON.stringify({ time: this.now().toISOString(), level: 'event', ...event })}\n`);
  }

  /** Writes raw text to stderr (progress output of a command that runs for the user). */
  progress(text: string): void {
    if (this.logFormat === 'json') return;
    this.stderr.write(text);
  }

  /** Writes data (already rendered text) to stdout. */
  data(text: string): void {
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Writes one JSON document to stdout. */
  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}
