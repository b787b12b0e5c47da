// Draws spawn's progress events: step lines (and a live upload line on a
// terminal) on stderr, every event as a JSON line with --log-format json, and
// the result on stdout as a summary or one JSON outcome object.

import { remoteFlagOf, type EngineTarget } from '../../../core/remote/engine-target.js';
import type { SpawnEvent, SpawnResult } from '../../../core/spawn/spawn.js';
import { formatBytes } from '../../../core/remote/remote-check.js';
import { escapeControls } from '../../../common/terminal-text.js';
import type { Context } from '../../context.js';
import type { View } from '../../present.js';

/** `12.0 MiB / 48.0 MiB (25%, 8.0 MiB/s, 4 s left)`: the live upload line's figures. */
export function uploadLine(bytes: number, totalBytes: number, seconds: number): string {
  const rate = bytes / seconds;
  const percent = totalBytes > 0 ? Math.min(100, Math.floor((bytes / totalBytes) * 100)) : 100;
  const left = rate > 0 && totalBytes > bytes ? `, ${Math.ceil((totalBytes - bytes) / rate)} s left` : '';
  return `${formatBytes(bytes)} / ${formatBytes(totalBytes)} (${percent}%, ${formatBytes(rate)}/s${left})`;
}

export class SpawnRenderer {
  private liveLine = false;
  private uploadStarted = 0;
  /** The last upload progress: the summary line when the upload ends. */
  private uploaded: { bytes: number; totalBytes: number; files: number } | undefined;
  private readonly tty: boolean;

  constructor(private readonly ctx: Context) {
    this.tty = ctx.stderr.isTTY === true && ctx.reporter.logFormat === 'text';
  }

  event(event: SpawnEvent): void {
    const { reporter } = this.ctx;
    reporter.event({ ...event });
    if (reporter.logFormat === 'json') return;
    const keepsLiveLine =
      event.type === 'upload-progress' ||
      event.type === 'layer-progress' ||
      event.type === 'context-progress' ||
      event.type === 'build-step' ||
      (event.type === 'build-output' && event.verbose === true && !reporter.verbose);
    if (!keepsLiveLine) this.endLiveLine();
    switch (event.type) {
      case 'phase-start':
        if (event.phase === 'upload') {
          this.uploadStarted = performance.now();
          this.uploaded = undefined;
        }
        reporter.info(`▸ ${event.message}`);
        break;
      case 'phase-end':
        // One summary line of the upload, with or without a terminal.
        if (event.phase === 'upload' && event.ok && this.uploaded !== undefined) {
          const seconds = Math.max(0.001, event.durationMs / 1000);
          reporter.info(`  sent ${formatBytes(this.uploaded.bytes)} (${this.uploaded.files} files) in ${seconds.toFixed(1)} s, ${formatBytes(this.uploaded.bytes / seconds)}/s`);
        }
        reporter.debug(`  ${event.phase} ${event.ok ? 'done' : 'failed'} in ${event.durationMs} ms`);
        break;
      case 'upload-progress': {
        this.uploaded = { bytes: event.bytes, totalBytes: event.totalBytes, files: event.files };
        if (!this.tty) break;
        const seconds = Math.max(0.001, (performance.now() - this.uploadStarted) / 1000);
        this.live(`  ${uploadLine(event.bytes, event.totalBytes, seconds)}, ${event.files} files`);
        break;
      }
      case 'layer-progress':
        if (this.tty) this.live(`  ${event.image}: ${event.layer} ${event.status}${event.total === undefined ? '' : ` ${formatBytes(event.current ?? 0)}/${formatBytes(event.total)}`}`);
        break;
      case 'context-progress':
        // Live on a terminal, as docker's "Sending build context"; one summary line either way.
        if (!event.done) {
          if (this.tty) this.live(`  Sending build context: ${formatBytes(event.bytes)}`);
          break;
        }
        this.endLiveLine();
        reporter.info(`  sent build context: ${formatBytes(event.bytes)} in ${(event.durationMs / 1000).toFixed(1)} s, ${formatBytes(event.bytes / Math.max(0.001, event.durationMs / 1000))}/s`);
        break;
      case 'build-output':
        // BuildKit's own log is for --verbose; its steps and summary are drawn below.
        if (event.verbose !== true || reporter.verbose) reporter.progress(`  ${event.line}\n`);
        break;
      case 'build-step':
        if (this.tty && !reporter.verbose) this.live(`  ${event.step}`);
        break;
      case 'build-done':
        reporter.info(`  built: ${event.steps} step${event.steps === 1 ? '' : 's'} (${event.cached} cached) in ${(event.durationMs / 1000).toFixed(1)} s`);
        break;
      case 'hook-start':
        reporter.info(`▸ ${event.hook}: ${event.command}`);
        break;
      case 'hook-output':
        reporter.progress(event.text);
        break;
      case 'hook-wait':
        reporter.info(event.message);
        break;
      case 'hook-skip':
        reporter.debug(`  ${event.hook} skipped: ${event.reason}`);
        break;
      case 'hook-end':
        reporter.debug(`  ${event.hook} done in ${event.durationMs} ms`);
        break;
      case 'info':
        if (event.verbose === true) reporter.debug(event.message);
        else reporter.info(event.message);
        break;
      case 'warning':
        reporter.warn(event.message);
        break;
    }
  }

  finish(): void {
    this.endLiveLine();
  }

  private live(text: string): void {
    const width = this.ctx.stderr.columns ?? 100;
    // Layer ids and statuses come from the engine.
    this.ctx.stderr.write(`\r${escapeControls(text).slice(0, width - 1).padEnd(width - 1)}`);
    this.liveLine = true;
  }

  private endLiveLine(): void {
    if (!this.liveLine) return;
    this.ctx.stderr.write('\n');
    this.liveLine = false;
  }
}

/**
 * What spawn and rebuild print at the end: the outcome object with --format
 * json, else a summary with the next steps, which name the container by
 * `reference` (its project name when that is unambiguous).
 */
export function spawnResultView(target: EngineTarget, reference: string): View<SpawnResult> {
  return {
    json: ({ outcome, ...rest }) => ({ outcome: 'success', action: outcome, ...rest }),
    text(result, reporter) {
      const remote = remoteFlagOf(target.hostId);
      const verb = { created: 'created', rebuilt: 'rebuilt', reused: 'already running', started: 'started' }[result.outcome];
      reporter.success(`Dev container ${result.containerName} ${verb}.`);
      reporter.data(
        [
          `container  ${result.containerName} (${result.containerId.slice(0, 12)})`,
          `host       ${target.description}`,
          // The user and the folder may come from the image's metadata and the container's labels.
          `workspace  ${escapeControls(result.remoteWorkspaceFolder)} (user ${escapeControls(result.remoteUser)})`,
          `volume     ${escapeControls(result.volumeName)}`,
          `connect    pks devcontainer connect ${reference}${remote}`,
          `shell      pks devcontainer shell ${reference}${remote}`,
        ].join('\n'),
      );
    },
  };
}
