// `pks devcontainer stop|start|restart|rm|inspect`: find the container, call
// the core, say what happened. Loaded only when one of these runs.

import { OperationError } from '../../../common/errors.js';
import { escapeControls } from '../../../common/terminal-text.js';
import { inspectContainer } from '../../../core/container-info.js';
import { describeDevcontainer, type DevcontainerDetails } from '../../../core/describe.js';
import { removeDevcontainer, restartDevcontainer, startDevcontainer, stopDevcontainer, workspaceVolumeOf } from '../../../core/lifecycle.js';
import { hookMessages, openContainerTarget, type ContainerTarget } from '../../container-target.js';
import type { Context } from '../../context.js';
import type { OutputFormat } from '../../options.js';
import { relativeTime } from '../../relative-time.js';

interface TargetFlags {
  remote?: string | undefined;
}

/** The commands that destroy or interrupt the owner's work: another user's container needs --other-user. */
interface GuardedFlags extends TargetFlags {
  otherUser?: boolean | undefined;
}

/** `api (pks-alice-api-1a2b3c4d, 4f1c…) on r1`; the project name is a label, anyone's to set: one line, escaped. */
function label(found: ContainerTarget): string {
  const { container, target } = found;
  const where = target.hostId === 'local' ? '' : ` on ${target.hostId}`;
  return `${escapeControls(container.project)} (${container.name}, ${container.containerId.slice(0, 12)})${where}`;
}

export async function runStop(ctx: Context, query: string | undefined, flags: GuardedFlags & { timeout?: number | undefined }): Promise<void> {
  const found = await openContainerTarget(ctx, query, flags.remote, { destructive: 'stop', otherUser: flags.otherUser });
  const outcome = await stopDevcontainer(found.target.engine, found.container.containerId, flags.timeout === undefined ? {} : { timeoutSeconds: flags.timeout });
  if (outcome === 'already-stopped') ctx.reporter.info(`${label(found)} is already stopped; nothing to do.`);
  else ctx.reporter.success(`Stopped ${label(found)}.`);
}

export async function runStart(ctx: Context, query: string | undefined, flags: TargetFlags): Promise<void> {
  const found = await openContainerTarget(ctx, query, flags.remote);
  const outcome = await startDevcontainer(found.target.engine, found.container.containerId, { onEvent: hookMessages(ctx), remoteFlag: found.remoteFlag });
  if (outcome === 'already-running') ctx.reporter.info(`${label(found)} is already running; nothing to do.`);
  else ctx.reporter.success(`Started ${label(found)}.`);
}

export async function runRestart(ctx: Context, query: string | undefined, flags: GuardedFlags & { timeout?: number | undefined }): Promise<void> {
  const found = await openContainerTarget(ctx, query, flags.remote, { destructive: 'restart', otherUser: flags.otherUser });
  await restartDevcontainer(found.target.engine, found.container.containerId, {
    onEvent: hookMessages(ctx),
    remoteFlag: found.remoteFlag,
    ...(flags.timeout === undefined ? {} : { timeoutSeconds: flags.timeout }),
  });
  ctx.reporter.success(`Restarted ${label(found)}.`);
}

export interface RmFlags extends GuardedFlags {
  volumes?: boolean | undefined;
  force?: boolean | undefined;
  yes?: boolean | undefined;
}

export async function runRm(ctx: Context, query: string | undefined, flags: RmFlags): Promise<void> {
  const found = await openContainerTarget(ctx, query, flags.remote, { destructive: 'remove', otherUser: flags.otherUser });
  const { engine } = found.target;
  const inspect = await inspectContainer(engine, found.container.containerId);
  if (inspect.State.Running && flags.force !== true) {
    throw new OperationError('E_CONTAINER_RUNNING', `${label(found)} is running; pks removes a running container only with --force.`, {
      hint: `Stop it first (pks devcontainer stop ${found.container.name}${found.remoteFlag}), or pass --force.`,
    });
  }
  const volume = workspaceVolumeOf(inspect);
  if (flags.yes !== true) {
    const volumeNote = volume === undefined ? '' : flags.volumes === true ? ` and its workspace volume ${volume} (the work in it is lost)` : ` (the workspace volume ${volume} is kept)`;
    const running = inspect.State.Running ? 'the running dev container ' : 'the dev container ';
    const yes = await ctx.prompter.confirm(`Remove ${running}${label(found)}${volumeNote}?`, { flag: '--yes' });
    if (!yes) {
      ctx.reporter.info('Nothing removed.');
      return;
    }
  }
  const outcome = await removeDevcontainer(engine, inspect, { force: flags.force === true, volumes: flags.volumes === true });
  ctx.reporter.success(`Removed the container ${outcome.container} (${outcome.containerId.slice(0, 12)}).`);
  const v = outcome.volume;
  if (v === undefined) return;
  switch (v.action) {
    case 'removed':
      ctx.reporter.success(`Removed the workspace volume ${v.name}.`);
      break;
    case 'kept':
      // A spawn finds its default volume (named after the container) by itself.
      ctx.reporter.info(
        `Kept the workspace volume ${v.name}: spawning ${escapeControls(found.container.project)} again${v.name === `${outcome.container}-workspace` ? '' : ` with --volume-name ${v.name}`} picks the work up (--volumes removes it).`,
      );
      break;
    case 'missing':
      ctx.reporter.info(`The workspace volume ${v.name} was already gone.`);
      break;
    case 'in-use':
      throw new OperationError('E_VOLUME_IN_USE', `Kept the workspace volume ${v.name}: another container still uses it (${v.reason}).`, {
        hint: 'Remove that container first, then the volume.',
      });
  }
}

export async function runInspect(ctx: Context, query: string | undefined, flags: TargetFlags & { format: OutputFormat }): Promise<void> {
  const found = await openContainerTarget(ctx, query, flags.remote);
  const inspect = await inspectContainer(found.target.engine, found.container.containerId);
  const details = await describeDevcontainer(inspect, { env: ctx.env, host: found.target.hostId, project: found.container.project });
  if (flags.format === 'json') ctx.reporter.json(details);
  else ctx.reporter.data(renderDetails(details, found.target.description));
}

function renderDetails(d: DevcontainerDetails, where: string): string {
  const state = d.state.running
    ? `running since ${d.state.startedAt ?? '?'} (${relativeTime(d.state.startedAt ?? undefined)})`
    : `${d.state.status}${d.state.exitCode === null ? '' : ` (exit code ${d.state.exitCode})`}${d.state.finishedAt === null ? '' : ` since ${d.state.finishedAt}`}`;
  const drift =
    d.config.drift === 'unchanged'
      ? 'unchanged since the container was created'
      : d.config.drift === 'changed'
        ? `CHANGED: ${d.config.reason ?? ''}`
        : `unknown: ${d.config.reason ?? ''}`;
  const rows: Array<[string, string]> = [
    ['Project', d.project],
    ['Container', `${d.name} (${d.containerId})`],
    ['Host', `${d.host} (${where})`],
    ['State', state],
    ['Image', d.image.name === d.image.id ? d.image.id : `${d.image.name} (${d.image.id})`],
    ['Created', `${d.createdAt} (${relativeTime(d.createdAt)})`],
    ['Spawned', d.spawnedAt === null ? '-' : `${d.spawnedAt}${d.spawnedBy === null ? '' : ` by ${d.spawnedBy}`}`],
    ['Project folder', d.projectPath ?? '-'],
    ['Config file', d.configFile ?? '-'],
    ['Workspace', d.workspaceFolder],
    ['Volume', d.volume === null ? '-' : `${d.volume.name}${d.volume.mountedAt === null ? '' : ` at ${d.volume.mountedAt}`}`],
    ['Remote user', d.remoteUser ?? '-'],
    ['Config hash', d.config.hash ?? '-'],
    ['Config', drift],
  ];
  if (d.foreign) rows.push(['Created by', 'another tool (VS Code or the Dev Container CLI), not pks']);
  const width = Math.max(...rows.map(([key]) => key.length));
  // Each value and label on its one line: whatever it holds is shown escaped.
  const labels = Object.entries(d.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `  ${escapeControls(key)}=${escapeControls(value.length > 120 ? `${value.slice(0, 117)}...` : value)}`);
  return [...rows.map(([key, value]) => `${`${key}:`.padEnd(width + 1)}  ${escapeControls(value)}`), 'Labels:', ...labels].join('\n');
}
