// Waiting for a condition in tests: one polling helper instead of a loop with
// a sleep in every file.

export interface WaitOptions {
  /** Give up once this long has passed (default 10 s). */
  timeoutMs?: number;
  /** Pause between two probes (default 100 ms). */
  intervalMs?: number;
  /** The error when time runs out; a function is called then, to describe the state at that moment. */
  message?: string | (() => string);
}

type Probe = () => boolean | Promise<boolean>;

/**
 * Runs `probe` until it returns true, pausing `intervalMs` between runs; false
 * when `timeoutMs` has passed first. For callers that judge the outcome
 * themselves (or expect the condition never to hold).
 */
export async function poll(probe: Probe, options: WaitOptions | number = {}): Promise<boolean> {
  const { timeoutMs = 10_000, intervalMs = 100 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Runs `probe` until it returns true; throws `message` when `timeoutMs` (a number: that timeout) has passed first. */
export async function waitFor(probe: Probe, options: WaitOptions | number = {}): Promise<void> {
  if (await poll(probe, options)) return;
  const { timeoutMs = 10_000, message } = typeof options === 'number' ? { timeoutMs: options, message: undefined } : options;
  throw new Error(typeof message === 'function' ? message() : (message ?? `condition not met within ${timeoutMs} ms`));
}
