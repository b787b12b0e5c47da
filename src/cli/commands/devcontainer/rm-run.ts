// `pks devcontainer rm`: find the container, ask, remove it (and its volume
// with --volumes), say what happened.

import { OperationError } from '../../../common/errors.js';
import { escapeControls } from '../../../common/terminal-text.js';
import { inspectForRemoval, removeDevcontainer, workspaceVolumeOf } from '../../../core/containers/lifecycle.js';
import { openContainerTarget } from '../../container-target.js';
import type { Context } from '../../context.js';
import { composeNote, containerLabel, type GuardedFlags } from './container-label.js';

export interface RmFlags extends GuardedFlags {
  volumes?: boolean | undefined;
  force?: boolean | undefined;
  yes?: boolean | undefined;
}

export async function runRm(ctx: Context, query: string | undefined, flags: RmFlags): Promise<void> {
  const found = await openContainerTarget(ctx, query, flags.remote, { destructive: 'remove', otherUser: flags.otherUser });
  const { engine } = found.target;
  const inspect = await inspectForRemoval(engine, found.container);
  if (inspect.State.Running && flags.force !== true) {
    throw new OperationError('E_CONTAINER_RUNNING', `${containerLabel(found)} is running; pks removes a running container only with --force.`, {
      hint: `Stop it first (pks devcontainer stop ${found.reference}${found.remoteFlag}), or pass --force.`,
    });
  }
  const volume = workspaceVolumeOf(inspect);
  // --force is docker rm -f: the user said it already, so no question either.
  if (flags.yes !== true && flags.force !== true) {
    const volumeNote = volume === undefined ? '' : flags.volumes === true ? ` and its workspace volume ${volume} (the work in it is lost)` : ` (the workspace volume ${volume} is kept)`;
    const running = inspect.State.Running ? 'the running dev container ' : 'the dev container ';
    const yes = await ctx.prompter.confirm(`Remove ${running}${containerLabel(found)}${composeNote(found.container)}${volumeNote}?`, { flag: '--yes' });
    if (!yes) {
      ctx.reporter.info('Nothing removed.');
      return;
    }
  }
  const outcome = await removeDevcontainer(engine, inspect, { force: flags.force === true, volumes: flags.volumes === true, composeProject: found.container.compose?.project });
  ctx.reporter.success(`Removed the container ${outcome.container} (${outcome.containerId.slice(0, 12)}).`);
  const compose = outcome.compose;
  if (compose !== undefined) {
    const parts = [
      ...(compose.containers.length === 0 ? [] : [`other containers (${compose.containers.join(', ')})`]),
      ...(compose.networks.length === 0 ? [] : [`networks (${compose.networks.join(', ')})`]),
      ...(compose.volumes.length === 0 ? [] : [`volumes (${compose.volumes.join(', ')})`]),
    ];
    if (parts.length > 0) ctx.reporter.success(escapeControls(`Removed the Compose project's ${parts.join(', ')}.`));
  }
  const anonymous = outcome.anonymousVolumes;
  if (anonymous !== undefined) {
    const count = anonymous.names.length === 1 ? 'its anonymous volume' : `its ${anonymous.names.length} anonymous volumes`;
    const ids = anonymous.names.map((n) => n.slice(0, 12)).join(', ');
    if (anonymous.action === 'removed') ctx.reporter.success(`Removed ${count} (${ids}).`);
    else ctx.reporter.info(`Kept ${count} (${ids}, from "mounts" without a source); --volumes removes them with the container.`);
  }
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
