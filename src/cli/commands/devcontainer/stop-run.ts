// `pks devcontainer stop`: find the container, stop it, say what happened.

import { stopDevcontainer } from '../../../core/containers/lifecycle.js';
import { openContainerTarget } from '../../container-target.js';
import type { Context } from '../../context.js';
import { composeNote, containerLabel, type GuardedFlags } from './container-label.js';

export async function runStop(ctx: Context, query: string | undefined, flags: GuardedFlags & { timeout?: number | undefined }): Promise<void> {
  const found = await openContainerTarget(ctx, query, flags.remote, { destructive: 'stop', otherUser: flags.otherUser });
  const outcome = await stopDevcontainer(found.target.engine, found.container.containerId, { timeoutSeconds: flags.timeout, composeProject: found.container.compose?.project });
  if (outcome === 'already-stopped') ctx.reporter.info(`${containerLabel(found)} is already stopped; nothing to do.`);
  else ctx.reporter.success(`Stopped ${containerLabel(found)}${composeNote(found.container)}.`);
}
