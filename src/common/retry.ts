// Retrying transient failures of operations that are safe to repeat: engine
// reads (GET/HEAD, and DELETE, which the HTTP spec and the engine make
// idempotent) and setting up an SSH connection. Each layer decides which of
// its errors are transient; this module only counts tries, waits with
// exponential backoff and tells the caller before each retry (the CLI turns
// that into a line on stderr; the layers below never write to a terminal).
// Creating, starting, exec'ing and uploading are never retried here: after a
// failure the spawn pipeline reconciles by labels instead.

export interface RetryNotice {
  /** The try about to start, counting from 1 (so 2 for the first retry). */
  attempt: number;
  /** Tries in all. */
  attempts: number;
  /** How long until that try. */
  delayMs: number;
  /** What is repeated: `GET /containers/json`, `SSH connection`. */
  operation: string;
  /** Where: `ssh://pksdev@10.0.0.2:22`, `local engine (unix:///var/run/docker.sock)`. */
  target: string;
  /** Why the last try failed, in a few words. */
  reason: string;
}

export interface RetryPolicy {
  /** Tries in all, the first included; 1 turns retrying off. */
  attempts: number;
  /** The wait before the first retry. */
  baseDelayMs: number;
  /** Each further wait is this many times the previous one. */
  factor: number;
  /** Told before each retry. */
  onRetry?: (notice: RetryNotice) => void;
  /** Waits `ms` (resolves early when `signal` aborts); injected by tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** 3 tries, waiting 2 s then 4 s: a dropped link or a restarting sshd gets 6 s to come back. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 3, baseDelayMs: 2_000, factor: 2 };

/** One try: for checks that report what they see (`remote test`), and for steps retried as a whole by their caller. */
export const NO_RETRY: RetryPolicy = { ...DEFAULT_RETRY_POLICY, attempts: 1 };

/** The wait before try `attempt` (2 for the first retry). */
export function retryDelayMs(policy: Pick<RetryPolicy, 'baseDelayMs' | 'factor'>, attempt: number): number {
  return Math.round(policy.baseDelayMs * policy.factor ** Math.max(0, attempt - 2));
}

/** `retrying (2/3) in 2 s…` */
export function retryCountdown(notice: Pick<RetryNotice, 'attempt' | 'attempts' | 'delayMs'>): string {
  const seconds = notice.delayMs / 1000;
  const shown = Number.isInteger(seconds) ? String(seconds) : seconds.toFixed(1);
  return `retrying (${notice.attempt}/${notice.attempts}) in ${shown} s…`;
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

export interface RetryOptions {
  policy: RetryPolicy;
  /** Whether this failure may go away by itself. */
  isTransient: (error: unknown) => boolean;
  operation: string;
  target: string;
  reason: (error: unknown) => string;
  /** Stops retrying (the last error is thrown) once aborted. */
  signal?: AbortSignal | undefined;
}

/** Runs `work` until it succeeds, fails for good, or has been tried `policy.attempts` times. */
export async function withRetry<T>(work: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy } = options;
  const attempts = Math.max(1, Math.floor(policy.attempts));
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt >= attempts || aborted(options.signal) || !options.isTransient(error)) throw error;
      const next = attempt + 1;
      const delayMs = retryDelayMs(policy, next);
      policy.onRetry?.({ attempt: next, attempts, delayMs, operation: options.operation, target: options.target, reason: options.reason(error) });
      await (policy.sleep ?? sleepFor)(delayMs, options.signal);
      if (aborted(options.signal)) throw error;
    }
  }
}

/** errno codes of a network hiccup rather than of a wrong address or a refusal. */
export const TRANSIENT_SYSTEM_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED']);
