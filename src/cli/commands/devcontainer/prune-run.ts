// `pks devcontainer prune`: find what pks made on one engine that nothing
// uses, show it with sizes, ask (or --yes), remove it, say what happened.
// Only the user's own images and volumes, made by pks, are candidates.

import { escapeControls } from '../../../common/terminal-text.js';
import { localUserName } from '../../../core/containers/owner.js';
import { executePrune, planPrune, type PrunePlan, type PruneResult } from '../../../core/containers/prune.js';
import { openEngineTarget } from '../../../core/remote/engine-target.js';
import { formatBytes } from '../../../core/remote/remote-check.js';
import type { Context } from '../../context.js';
import type { OutputFormat } from '../../options.js';
import { present } from '../../present.js';
import { retryPolicy } from '../../retry-notices.js';
import { sshPrompts } from '../../ssh-prompts.js';
import { renderTable } from '../../table.js';

export interface PruneFlags {
  remote?: string | undefined;
  volumes?: boolean | undefined;
  dryRun?: boolean | undefined;
  yes?: boolean | undefined;
  format: OutputFormat;
}

interface PruneReport {
  host: string;
  dryRun: boolean;
  plan: PrunePlan;
  /** What each removal did (empty on a dry run or when nothing was confirmed). */
  results: PruneResult[];
  /** Bytes the plan's images and volumes take (shared image layers counted in each image). */
  reclaimable: number;
}

interface Row {
  kind: string;
  name: string;
  size: string;
}

function rows(plan: PrunePlan): Row[] {
  return [
    ...plan.images.map((image) => ({ kind: 'image', name: image.tags[0] ?? `${image.id.replace(/^sha256:/, '').slice(0, 12)} (untagged)`, size: formatBytes(image.size) })),
    ...plan.volumes.map((volume) => ({ kind: 'volume', name: `${volume.name}${volume.project === undefined ? '' : ` (${escapeControls(volume.project)})`}`, size: volume.size === undefined ? '?' : formatBytes(volume.size) })),
  ];
}

function reclaimable(plan: PrunePlan): number {
  return plan.images.reduce((sum, image) => sum + image.size, 0) + plan.volumes.reduce((sum, volume) => sum + (volume.size ?? 0), 0);
}

export async function runPrune(ctx: Context, flags: PruneFlags): Promise<void> {
  const target = await openEngineTarget({ env: ctx.env, remote: flags.remote, prompts: sshPrompts(ctx), retry: retryPolicy(ctx) });
  ctx.defer(target.engine);
  const plan = await planPrune(target.engine, { owner: localUserName(ctx.env), volumes: flags.volumes === true });
  const report: PruneReport = { host: target.hostId, dryRun: flags.dryRun === true, plan, results: [], reclaimable: reclaimable(plan) };
  const count = plan.images.length + plan.volumes.length;
  if (count === 0) {
    present(ctx.reporter, flags.format, report, {
      json: (r) => r,
      text: () => ctx.reporter.info(`Nothing to prune on ${target.description}${flags.volumes === true ? '' : ' (--volumes also looks at unused workspace volumes)'}.`),
    });
    return;
  }
  if (flags.format !== 'json') ctx.reporter.data(renderTable([{ header: 'KIND', value: (r: Row) => r.kind }, { header: 'NAME', value: (r: Row) => r.name }, { header: 'SIZE', value: (r: Row) => r.size }], rows(plan)));
  const what = `${count} item${count === 1 ? '' : 's'} (${formatBytes(report.reclaimable)}${plan.images.length > 1 ? ' at most: images share layers' : ''}) on ${target.description}`;
  if (flags.dryRun === true) {
    present(ctx.reporter, flags.format, report, { json: (r) => r, text: () => ctx.reporter.info(`Would remove ${what}; nothing removed (--dry-run).`) });
    return;
  }
  if (flags.yes !== true) {
    const lost = plan.volumes.length > 0 ? ' The work in those volumes is lost.' : '';
    const yes = await ctx.prompter.confirm(`Remove ${what}?${lost}`, { flag: '--yes' });
    if (!yes) {
      ctx.reporter.info('Nothing removed.');
      return;
    }
  }
  report.results = await executePrune(target.engine, plan);
  present(ctx.reporter, flags.format, report, {
    json: (r) => r,
    text: (r) => {
      const removed = r.results.filter((result) => result.action === 'removed');
      ctx.reporter.success(`Removed ${removed.length} of ${count} on ${target.description}.`);
      for (const result of r.results) {
        if (result.action === 'in-use') ctx.reporter.info(`Kept the ${result.kind} ${result.name}: ${result.reason}`);
        if (result.action === 'missing') ctx.reporter.info(`The ${result.kind} ${result.name} was already gone.`);
      }
    },
  });
}
