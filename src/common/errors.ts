// Typed errors shared by every layer. An expected failure is a PksError: it
// carries a message for the user, an optional hint (the next step to try), a
// stable code for scripts and tests, and the process exit code. The CLI prints
// these without a stack trace; anything else is a bug and is reported as such.

import type { ErrorCode } from './error-codes.js';

export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** The operation failed (engine down, host unreachable, ...). */
  Operation: 1,
  /** The command line was wrong (unknown option, bad argument, ...). */
  Usage: 2,
  /** Stopped by Ctrl-C (128 + SIGINT), as shells report it. */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface PksErrorOptions {
  hint?: string | undefined;
  /** Extra lines shown only with --verbose. */
  details?: string[];
  cause?: unknown;
}

export class PksError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly details: string[];

  constructor(code: ErrorCode, message: string, exitCode: ExitCode, options: PksErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PksError';
    this.code = code;
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }
}

/** The user asked for something that cannot be parsed or does not make sense. */
export class UsageError extends PksError {
  constructor(message: string, options: PksErrorOptions & { code?: ErrorCode } = {}) {
    super(options.code ?? 'E_USAGE', message, ExitCode.Usage, options);
    this.name = 'UsageError';
  }
}

/** Something outside pks failed: an engine, a host, a file. */
export class OperationError extends PksError {
  constructor(code: ErrorCode, message: string, options: PksErrorOptions = {}) {
    super(code, message, ExitCode.Operation, options);
    this.name = 'OperationError';
  }
}

export function isPksError(error: unknown): error is PksError {
  return error instanceof PksError;
}

/** The errno-style code of a Node system error (ECONNREFUSED, ENOENT, ...). */
export function systemErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The user stopped the command (Ctrl-C, or Ctrl-D at a prompt): pass it on, never report it as a failed step. */
export function isInterruption(error: unknown): boolean {
  return isPksError(error) && error.exitCode === ExitCode.Interrupted;
}
