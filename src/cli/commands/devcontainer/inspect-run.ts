// `pks devcontainer inspect`: everything pks knows about a dev container, as
// a block of text for people or one JSON document.

import { escapeControls } from '../../../common/terminal-text.js';
import { inspectContainer } from '../../../core/containers/container-info.js';
import { describeDevcontainer, type DevcontainerDetails } from '../../../core/containers/describe.js';
import { openContainerTarget } from '../../container-target.js';
import type { Context } from '../../context.js';
import type { OutputFormat } from '../../options.js';
import { present, type View } from '../../present.js';
import { relativeTime } from '../../relative-time.js';
import type { TargetFlags } from './container-label.js';

export interface InspectResult {
  details: DevcontainerDetails;
  /** Where the engine is, for people: "the local engine", "r1 (dev@10.0.0.2)". */
  where: string;
}

/** Everything pks knows about one dev container. */
export async function inspectDevcontainer(ctx: Context, query: string | undefined, flags: TargetFlags): Promise<InspectResult> {
  const found = await openContainerTarget(ctx, query, flags.remote);
  const inspect = await inspectContainer(found.target.engine, found.container.containerId);
  const details = await describeDevcontainer(inspect, { env: ctx.env, host: found.target.hostId, project: found.container.project });
  return { details, where: found.target.description };
}

/** The JSON document is the details themselves (a stable shape, see the README). */
export const inspectView: View<InspectResult> = {
  json: (result) => result.details,
  text: (result, reporter) => reporter.data(renderDetails(result.details, result.where)),
};

export async function runInspect(ctx: Context, query: string | undefined, flags: TargetFlags & { format: OutputFormat }): Promise<void> {
  present(ctx.reporter, flags.format, await inspectDevcontainer(ctx, query, flags), inspectView);
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
    ['Address', d.address ?? '-'],
    ['Forwards', d.forwards.length === 0 ? '-' : d.forwards.map((f) => `127.0.0.1:${f.localPort} -> ${f.containerPort} (${f.label}, pid ${f.pid})`).join(', ')],
  ];
  if (d.foreign) rows.push(['Created by', 'another tool (VS Code or the Dev Container CLI), not pks']);
  const width = Math.max(...rows.map(([key]) => key.length));
  // Each value and label on its one line: whatever it holds is shown escaped.
  const labels = Object.entries(d.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `  ${escapeControls(key)}=${escapeControls(value.length > 120 ? `${value.slice(0, 117)}...` : value)}`);
  return [...rows.map(([key, value]) => `${`${key}:`.padEnd(width + 1)}  ${escapeControls(value)}`), 'Labels:', ...labels].join('\n');
}
