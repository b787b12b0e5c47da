// Running a process inside a container through the engine's exec API: the
// machinery behind lifecycle hooks, `pks devcontainer exec` and `shell`.
// Without a TTY stdout and stderr stay separate (the engine multiplexes them);
// with one the stream is raw and the terminal size is forwarded.

import { Writable, type Readable } from 'node:stream';
import { demultiplex, streamBrokenError, type EngineClient } from '../../engine/index.js';
import { ExitReportReader } from './exit-report.js';

export interface ExecOptions {
  cmd: readonly string[];
  user?: string | undefined;
  workdir?: string;
  /** `KEY=value` entries. */
  env?: readonly string[];
  /** Allocate a terminal; the output is then one raw stream on stdout. */
  tty?: { rows: number; cols: number } | undefined;
  /** Forwarded to the process; its end closes the process's stdin. */
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
  /**
   * The exit code, if the process reported it in its output (see
   * exit-report.ts), asked once the output ends: then the engine is not
   * asked (one round trip fewer).
   */
  reportedExit?: () => number | undefined;
}

export interface ExecHandle {
  /** The process's exit code once it ends. */
  exitCode: Promise<number>;
  /** Tells the process's terminal its new size (TTY execs only). */
  resize(rows: number, cols: number): Promise<void>;
}

export async function startExec(engine: EngineClient, containerId: string, options: ExecOptions): Promise<ExecHandle> {
  const tty = options.tty !== undefined;
  const execId = await engine.createExec(containerId, {
    cmd: options.cmd,
    attachStdin: options.stdin !== undefined,
    tty,
    user: options.user,
    workdir: options.workdir,
    env: options.env,
    consoleSize: options.tty,
  });
  const socket = await engine.startExec(execId, { tty, consoleSize: options.tty });
  // Listen before anything else is awaited: a command that ends at once
  // (`exit 1`, `[ -t 1 ]`) closes the stream while the terminal size is still
  // being set, and an end event nobody listened for would leave pks waiting
  // forever (and the output lost). The local socket answers fast enough to
  // lose that race most of the time.
  let ended = false;
  const output = (
    tty
      ? new Promise<void>((resolve, reject) => {
          socket.on('data', (chunk: Buffer) => options.stdout.write(chunk));
          socket.once('end', resolve);
          socket.once('close', resolve);
          socket.once('error', reject);
        })
      : demultiplex(socket, options.stdout, options.stderr)
  ).finally(() => {
    ended = true;
  });
  if (options.stdin !== undefined) {
    const stdin = options.stdin;
    stdin.on('data', (chunk: Buffer) => {
      if (!socket.destroyed && !socket.writableEnded) socket.write(chunk);
    });
    // Half-close: the process sees EOF on stdin while its output keeps flowing.
    stdin.once('end', () => socket.end());
  }
  const what = `running ${options.cmd[0] ?? 'a command'} in container ${containerId.slice(0, 12)}`;

  // Chained at once, so a stream that breaks during the resizes below is handled.
  const exitCode = output.catch((error: unknown) => {
    throw streamBrokenError(engine.target, what, error);
  }).then(async () => {
    options.stdin?.removeAllListeners('data');
    socket.destroy();
    const reported = options.reportedExit?.();
    if (reported !== undefined) return reported;
    // The exec may report Running for a moment after its streams closed.
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const state = await engine.inspectExec(execId);
      if (!state.Running && state.ExitCode !== null) return state.ExitCode;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return 1;
  });
  const resizeOnce = (rows: number, cols: number): Promise<boolean> =>
    engine.resizeExec(execId, { rows, cols }).then(
      () => true,
      () => false,
    );
  // One resize at a time, the latest size winning: two sent at once (stty
  // sets rows, then columns: two SIGWINCHs) travel on two connections and
  // may reach the engine in the wrong order, leaving the older size.
  type Size = { rows: number; cols: number };
  let pending: Size | undefined;
  let sending = false;
  const resize = async (rows: number, cols: number): Promise<void> => {
    if (!tty) return;
    pending = { rows, cols };
    if (sending) return;
    sending = true;
    try {
      let next: Size | undefined = pending;
      while (next !== undefined) {
        pending = undefined;
        await resizeOnce(next.rows, next.cols);
        next = pending as Size | undefined;
      }
    } finally {
      sending = false;
    }
  };
  if (options.tty !== undefined) {
    // The engine starts the process a moment after the attach answers; a
    // resize before that is refused, and the terminal would stay 0x0 (engines
    // before API 1.42 take no size at create). As docker does: try again,
    // unless the process already ended.
    const { rows, cols } = options.tty;
    for (let attempt = 1; !ended && !(await resizeOnce(rows, cols)) && attempt < 10; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
  return { exitCode, resize };
}

/**
 * Runs a command to completion and collects its output (for hooks and
 * probes). With `exitReport`, the command is one that reports its exit code
 * on stderr (exit-report.ts): the report is taken out of the output, and
 * the engine is asked for the exit code only if none came.
 */
export async function execCapture(
  engine: EngineClient,
  containerId: string,
  options: Omit<ExecOptions, 'stdout' | 'stderr' | 'reportedExit'> & { onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void; exitReport?: boolean },
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const take = (text: string, stream: 'stdout' | 'stderr'): void => {
    if (text === '') return;
    if (stream === 'stdout') stdout += text;
    else stderr += text;
    options.onOutput?.(text, stream);
  };
  const report = options.exitReport === true ? new ExitReportReader() : undefined;
  const sink = (stream: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        const text = chunk.toString();
        take(stream === 'stderr' && report !== undefined ? report.read(text) : text, stream);
        callback();
      },
    });
  const { exitReport: _exitReport, ...execOptions } = options;
  const handle = await startExec(engine, containerId, { ...execOptions, stdout: sink('stdout'), stderr: sink('stderr'), reportedExit: () => report?.exitCode });
  const exitCode = await handle.exitCode;
  // What was held back in case it began a report, and was not one.
  if (report !== undefined) take(report.end(), 'stderr');
  return { exitCode, stdout, stderr };
}
