// `pks devcontainer restart`: find the container, stop and start it (postStartCommand runs).

import { restartDevcontainer } from '../../../core/containers/lifecycle.js';
import { hookMessages, openContainerTarget } from '../../container-target.js';
import type { Context } from '../../context.js';
import { composeNote, containerLabel, type GuardedFlags } from './container-label.js';

export async function runRestart(ctx: Context, query: string | undefined, flags: GuardedFlags & { timeout?: number | undefined }): Promise<void> {
  const found = await openContainerTarget(ctx, query, flags.remote, { destructive: 'restart', otherUser: flags.otherUser });
  await restartDevcontainer(found.target.engine, found.container.containerId, {
    onEvent: hookMessages(ctx),
    remoteFlag: found.remoteFlag,
    timeoutSeconds: flags.timeout,
    composeProject: found.container.compose?.project,
  });
  ctx.reporter.success(`Restarted ${containerLabel(found)}${composeNote(found.container)}.`);
}
