// Turns any thrown value into what the user sees and the exit code. Expected
// failures (PksError) print their message and hint, no stack. Anything else is
// a bug in pks: say so, show the stack with --verbose, and say how to report.

import { ExitCode, isPksError } from '../common/errors.js';
import { PROMPT_INTERRUPTED_CODE } from './prompter.js';
import type { Reporter } from './reporter.js';

export function reportError(reporter: Reporter, error: unknown): ExitCode {
  // `exec` passes its command's exit status through, silently, as docker exec does.
  if (isPksError(error) && error.code === 'E_COMMAND_EXIT') {
    reporter.debug(error.message);
    return error.exitCode;
  }
  // Ctrl-C or Ctrl-D at a prompt: the user stopped; there is nothing to report.
  if (isPksError(error) && error.code === PROMPT_INTERRUPTED_CODE) {
    reporter.debug(error.message);
    return error.exitCode;
  }
  if (isPksError(error)) {
    const details = [...error.details];
    if (reporter.verbose && error.cause !== undefined) details.push(`cause: ${describeCause(error.cause)}`);
    reporter.log({
      level: 'error',
      message: error.message,
      code: error.code,
      hint: error.hint,
      details: details.length === 0 ? undefined : details,
    });
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error && error.stack !== undefined ? error.stack.split('\n') : [];
  reporter.log({
    level: 'error',
    message: `unexpected internal error: ${message}`,
    code: 'E_INTERNAL',
    hint: reporter.verbose
      ? 'This is a bug in pks. Please report it with the output above.'
      : 'This is a bug in pks. Run the same command with --verbose and report the output.',
    details: stack,
  });
  return ExitCode.Operation;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = 'code' in cause && typeof cause.code === 'string' ? ` (${cause.code})` : '';
    return `${cause.message}${code}`;
  }
  return String(cause);
}
