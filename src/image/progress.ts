// Progress of preparing an image, as events: the CLI draws them (spinner,
// step list, JSON lines) and core forwards them; nothing here writes to a
// terminal. Phases carry timings so every command can report where time went.

export type PreparePhase = 'fetch-features' | 'pull' | 'build' | 'features' | 'update-uid';

export type PrepareProgressEvent =
  | { type: 'phase-start'; phase: PreparePhase; message: string }
  | { type: 'phase-end'; phase: PreparePhase; durationMs: number; ok: boolean }
  /** A layer of an image being pulled (also during a build's FROM pulls). */
  | { type: 'layer-progress'; image: string; layer: string; status: string; current?: number; total?: number }
  /** Bytes of a build context sent to the engine so far; `done` once all of it is. */
  | { type: 'context-progress'; phase: PreparePhase; bytes: number; done: boolean; durationMs: number }
  /** A line of build output (`Step 2/5 : RUN …`, the commands' own output); `verbose`: shown only with --verbose (BuildKit's log). */
  | { type: 'build-output'; phase: PreparePhase; line: string; verbose?: boolean }
  /** A BuildKit build started a Dockerfile step (`[stage-0 2/4] RUN make`): the live line on a terminal. */
  | { type: 'build-step'; phase: PreparePhase; step: string }
  /** A BuildKit build finished: the one summary line. */
  | { type: 'build-done'; phase: PreparePhase; steps: number; cached: number; durationMs: number }
  /** `verbose`: shown only with --verbose (which docker CLI builds). */
  | { type: 'info'; message: string; verbose?: boolean }
  | { type: 'warning'; message: string };

export type ProgressListener = (event: PrepareProgressEvent) => void;

/** Runs `work` between phase-start and phase-end events, timing it. */
export async function inPhase<T>(listener: ProgressListener | undefined, phase: PreparePhase, message: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  listener?.({ type: 'phase-start', phase, message });
  try {
    const result = await work();
    listener?.({ type: 'phase-end', phase, durationMs: Math.round(performance.now() - started), ok: true });
    return result;
  } catch (error) {
    listener?.({ type: 'phase-end', phase, durationMs: Math.round(performance.now() - started), ok: false });
    throw error;
  }
}
