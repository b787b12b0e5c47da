// `pks devcontainer logs`: a container's output, streamed to this terminal's
// stdout and stderr (with --follow until the container stops or Ctrl-C).

import { UsageError } from '../../../common/errors.js';
import { readHookRecords, renderHookRecords } from '../../../core/containers/hook-records.js';
import { inspectContainer } from '../../../core/containers/container-info.js';
import { streamLogLines } from '../../../core/containers/log-lines.js';
import { parseSince, streamLogs } from '../../../core/containers/logs.js';
import { openContainerTarget } from '../../container-target.js';
import type { Context } from '../../context.js';

export interface LogsFlags {
  remote?: string | undefined;
  follow?: boolean | undefined;
  tail?: number | undefined;
  timestamps?: boolean | undefined;
  since?: string | undefined;
  hooks?: boolean | undefined;
  /** json: one object per line, `{"type":"log","stream","time","text"}` (or `{"type":"hook",...}` with --hooks). */
  format?: 'text' | 'json' | undefined;
}

export async function runLogs(ctx: Context, query: string | undefined, flags: LogsFlags): Promise<void> {
  const since = flags.since === undefined ? undefined : parseSince(flags.since);
  if (flags.hooks === true && (flags.follow === true || flags.tail !== undefined || flags.since !== undefined || flags.timestamps === true)) {
    throw new UsageError('--hooks cannot be combined with --follow, --tail, --since or --timestamps.', { hint: 'Run pks devcontainer logs --hooks <container> on its own.' });
  }
  const found = await openContainerTarget(ctx, query, flags.remote);
  if (flags.hooks === true) {
    const records = await readHookRecords(found.target.engine, found.container.containerId);
    if (flags.format === 'json') {
      for (const record of records) await ctx.reporter.jsonRecord({ type: 'hook', ...record });
      return;
    }
    if (records.length === 0) ctx.reporter.info(`No lifecycle hook has run in ${found.container.name} (or it was created before pks recorded them).`);
    ctx.stdout.write(renderHookRecords(records));
    return;
  }
  const inspect = await inspectContainer(found.target.engine, found.container.containerId);
  // Ctrl-C ends a follow: the stream closes and pks exits 0, as after a stop.
  const stop = new AbortController();
  const unsubscribe = flags.follow === true ? ctx.onInterrupt?.(() => stop.abort()) : undefined;
  const common = { follow: flags.follow === true, tail: flags.tail, since, signal: stop.signal };
  try {
    if (flags.format === 'json') {
      // Always with the engine's time (the records carry it), whatever --timestamps says.
      await streamLogLines(found.target.engine, inspect, { ...common, onLine: (line) => ctx.reporter.jsonRecord({ type: 'log', ...line }) });
      return;
    }
    await streamLogs(found.target.engine, inspect, { ...common, timestamps: flags.timestamps === true, stdout: ctx.stdout, stderr: ctx.stderr });
  } finally {
    unsubscribe?.();
  }
  // The hooks' output follows the container's own, on stderr (stdout stays
  // the container's bytes); not for a follow, which ends with the container.
  if (flags.follow !== true && flags.tail === undefined && flags.since === undefined) {
    const records = await readHookRecords(found.target.engine, inspect.Id);
    if (records.length > 0) ctx.stderr.write(`--- lifecycle hooks (pks devcontainer logs --hooks ${found.container.name}) ---\n${renderHookRecords(records)}`);
  }
}
