// Runs spawn's phases: emits phase-start/phase-end with timings, stops at the
// next phase once Ctrl-C was pressed, and remembers which step was running
// when something went wrong, so the error can name it.

import { ExitCode, PksError } from '../../common/errors.js';
import type { SpawnEvent, SpawnPhase } from './types.js';

export function interruptedError(phase: SpawnPhase): PksError {
  return new PksError('E_INTERRUPTED', `Interrupted during the ${phase} step.`, ExitCode.Interrupted);
}

export class PhaseClock {
  readonly timings: Partial<Record<SpawnPhase, number>> = {};
  /** The phase started last (several may run at once). */
  private last: SpawnPhase | undefined;
  /** The first phase whose work failed. */
  private failed: SpawnPhase | undefined;
  /** The phase that was running when Ctrl-C came. */
  private atInterrupt: SpawnPhase | undefined;

  constructor(
    private readonly emit: (event: SpawnEvent) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener('abort', () => (this.atInterrupt ??= this.last), { once: true });
  }

  async run<T>(phase: SpawnPhase, message: string, work: () => Promise<T>): Promise<T> {
    if (this.signal?.aborted === true) throw interruptedError(this.atInterrupt ?? phase);
    this.last = phase;
    this.emit({ type: 'phase-start', phase, message });
    const started = performance.now();
    let ok = false;
    try {
      const result = await work();
      ok = true;
      return result;
    } catch (error) {
      this.failed ??= phase;
      throw error;
    } finally {
      const durationMs = Math.round(performance.now() - started);
      this.timings[phase] = (this.timings[phase] ?? 0) + durationMs;
      this.emit({ type: 'phase-end', phase, durationMs, ok });
    }
  }

  /** The step to name in an error: where Ctrl-C came, else the one that failed, else the last one started. */
  stepOfFailure(): SpawnPhase {
    return (this.signal?.aborted === true ? this.atInterrupt : undefined) ?? this.failed ?? this.last ?? 'config';
  }
}
