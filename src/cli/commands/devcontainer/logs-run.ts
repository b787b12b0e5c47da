// `pks devcontainer logs`: a container's output, streamed to this terminal's
// stdout and stderr (with --follow until the container stops or Ctrl-C).

import { inspectContainer } from '../../../core/containers/container-info.js';
import { parseSince, streamLogs } from '../../../core/containers/logs.js';
import { openContainerTarget } from '../../container-target.js';
import type { Context } from '../../context.js';

export interface LogsFlags {
  remote?: string | undefined;
  follow?: boolean | undefined;
  tail?: number | undefined;
  timestamps?: boolean | undefined;
  since?: string | undefined;
}

export async function runLogs(ctx: Context, query: string | undefined, flags: LogsFlags): Promise<void> {
  const since = flags.since === undefined ? undefined : parseSince(flags.since);
  const found = await openContainerTarget(ctx, query, flags.remote);
  const inspect = await inspectContainer(found.target.engine, found.container.containerId);
  // Ctrl-C ends a follow: the stream closes and pks exits 0, as after a stop.
  const stop = new AbortController();
  const unsubscribe = flags.follow === true ? ctx.onInterrupt?.(() => stop.abort()) : undefined;
  try {
    await streamLogs(found.target.engine, inspect, {
      follow: flags.follow === true,
      tail: flags.tail,
      timestamps: flags.timestamps === true,
      since,
      stdout: ctx.stdout,
      stderr: ctx.stderr,
      signal: stop.signal,
    });
  } finally {
    unsubscribe?.();
  }
}
