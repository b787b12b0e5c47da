// `pks devcontainer start`: find the container, start it (postStartCommand runs), say what happened.

import { startDevcontainer } from '../../../core/containers/lifecycle.js';
import { hookMessages, openContainerTarget } from '../../container-target.js';
import type { Context } from '../../context.js';
import { composeNote, containerLabel, type TargetFlags } from './container-label.js';

export async function runStart(ctx: Context, query: string | undefined, flags: TargetFlags): Promise<void> {
  const found = await openContainerTarget(ctx, query, flags.remote);
  const outcome = await startDevcontainer(found.target.engine, found.container.containerId, {
    onEvent: hookMessages(ctx),
    remoteFlag: found.remoteFlag,
    composeProject: found.container.compose?.project,
  });
  if (outcome === 'already-running') ctx.reporter.info(`${containerLabel(found)} is already running; nothing to do.`);
  else ctx.reporter.success(`Started ${containerLabel(found)}${composeNote(found.container)}.`);
}
