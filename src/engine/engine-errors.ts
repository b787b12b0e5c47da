// Errors of the engine API itself: the engine answered, but not with success.

import { OperationError, errorMessage, isPksError, type PksError } from '../common/errors.js';
import type { ErrorCode } from '../common/error-codes.js';
import { engineErrorBodySchema } from './schemas.js';

/** Stable codes for the statuses callers branch on; everything else is E_ENGINE_API. */
const CODES_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'E_ENGINE_BAD_REQUEST',
  404: 'E_ENGINE_NOT_FOUND',
  409: 'E_ENGINE_CONFLICT',
};

export class EngineApiError extends OperationError {
  readonly statusCode: number;
  /** The engine's own message, without pks's context. */
  readonly engineMessage: string;

  constructor(options: { statusCode: number; engineMessage: string; target: string; method: string; path: string }) {
    super(
      CODES_BY_STATUS[options.statusCode] ?? 'E_ENGINE_API',
      `The engine (${options.target}) refused the request: ${options.engineMessage}`,
      { details: [`${options.method} ${options.path} -> HTTP ${options.statusCode}`] },
    );
    this.name = 'EngineApiError';
    this.statusCode = options.statusCode;
    this.engineMessage = options.engineMessage;
  }
}

export function isEngineApiError(error: unknown, statusCode?: number): error is EngineApiError {
  return error instanceof EngineApiError && (statusCode === undefined || error.statusCode === statusCode);
}

/** The message from an error body: `{"message": ...}`, else the text itself. */
export function engineErrorMessage(body: Buffer, statusCode: number): string {
  const text = body.toString('utf8').trim();
  try {
    const parsed = engineErrorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data.message;
  } catch {
    // Not JSON: proxies and very old engines answer in plain text.
  }
  if (text === '') return `HTTP ${statusCode} with an empty body`;
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/**
 * A streamed answer (logs, an exec's output) that broke off because the
 * connection went away mid-stream. Node reports that as a bare "aborted" or
 * "premature close"; say which engine and what was going on.
 */
export function streamBrokenError(target: string, what: string, error: unknown): PksError {
  if (isPksError(error)) return error;
  return new OperationError('E_ENGINE_CONNECTION', `Lost the connection to the engine (${target}) while ${what}: ${errorMessage(error)}.`, {
    hint: 'Check the network and that the engine still runs on that host, then run the command again.',
    cause: error,
  });
}
