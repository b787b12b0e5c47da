// One place that shows a command's result: with --format json its stable JSON
// document on stdout, otherwise text for people (data on stdout, notes on
// stderr). Handlers return data and never choose between the two.
// With --format json a failure is a document too (see runCli): one
// `{"outcome":"error","code","message","hint"}` on stdout, as oclif's
// enableJsonFlag does for every command.

import { PksError, errorMessage } from '../common/errors.js';
import { stripColour } from '../common/terminal-text.js';
import type { Reporter } from './reporter.js';

/** `--format` of any command: `table|json` (formatOption) or `text|json` (spawn, rebuild). */
export type ResultFormat = 'text' | 'table' | 'json';

export interface View<T> {
  /** The stable JSON document of the result (default: the result itself). */
  json?: (result: T) => unknown;
  /** The result for people. */
  text(result: T, reporter: Reporter): void;
}

export function present<T>(reporter: Reporter, format: ResultFormat, result: T, view: View<T>): void {
  if (format === 'json') reporter.json(view.json === undefined ? result : view.json(result));
  else view.text(result, reporter);
}

/** What a command that failed prints on stdout with --format json. */
export function errorOutcome(error: unknown): { outcome: 'error'; code: string; message: string; hint?: string } {
  const known = error instanceof PksError;
  return { outcome: 'error', code: known ? error.code : 'E_INTERNAL', message: stripColour(errorMessage(error)), ...(known && error.hint !== undefined ? { hint: error.hint } : {}) };
}
