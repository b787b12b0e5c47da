// The first step of every command that acts on one dev container: open the
// engine (`--remote` or local), find the container the argument names (a
// picker on a terminal when several match), say whose it is when another user
// spawned it, and remember to close the engine.

import { OperationError, UsageError } from '../common/errors.js';
import { escapeControls } from '../common/terminal-text.js';
import { describeCandidate, findDevcontainer, type DevcontainerSummary } from '../core/containers/discovery.js';
import { openEngineTarget, remoteFlagOf, type EngineTarget } from '../core/remote/engine-target.js';
import type { HookEvent } from '../core/containers/hooks.js';
import { isOwnedBy, localUserName, otherOwner } from '../core/containers/owner.js';
import { containerReference } from './container-reference.js';
import type { Context } from './context.js';
import { retryPolicy } from './retry-notices.js';
import { sshPrompts } from './ssh-prompts.js';

export interface ContainerTarget {
  target: EngineTarget;
  container: DevcontainerSummary;
  /** ` --remote r1` or empty: appended to the commands suggested in messages. */
  remoteFlag: string;
  /** The container in the commands suggested in messages: its project name when that names it alone, else its container name. */
  reference: string;
}

/** How a command treats a container another user spawned. */
export interface OwnerPolicy {
  /**
   * What the command does to it ("stop", "remove", ...) when that destroys or
   * interrupts the owner's work: then it needs --other-user or a yes on a
   * terminal. Undefined for commands that only look or run something: they
   * go ahead with a one-line notice.
   */
  destructive?: string;
  /** --other-user was passed. */
  otherUser?: boolean | undefined;
}

export const OTHER_USER_FLAG = '--other-user';

export async function openContainerTarget(ctx: Context, query: string | undefined, remote: string | undefined, policy: OwnerPolicy = {}): Promise<ContainerTarget> {
  const target = await openEngineTarget({
    env: ctx.env,
    remote,
    prompts: sshPrompts(ctx),
    retry: retryPolicy(ctx),
  });
  ctx.defer(target.engine);
  const remoteFlag = remoteFlagOf(target.hostId);
  const user = localUserName(ctx.env);
  const { container, rule, listed } = await findDevcontainer(target.engine, {
    query,
    user,
    cwd: ctx.cwd,
    host: target.hostId,
    where: target.description,
    remoteFlag,
    ...(ctx.prompter.interactive
      ? {
          choose: async (candidates: DevcontainerSummary[], question: string) => {
            const index = await ctx.prompter.select(question, candidates.map(describeCandidate), 'a container name or ID');
            return candidates[index] ?? (candidates[0] as DevcontainerSummary);
          },
        }
      : {}),
  });
  ctx.reporter.debug(`${container.name} (${container.containerId.slice(0, 12)}) on ${target.description}, matched by ${rule}`);
  const owner = otherOwner(container, user);
  // The owner is a label, anyone's to set: kept on one line in the messages that quote it.
  const found = { target, container, remoteFlag, reference: containerReference(listed, container, (c) => isOwnedBy(c, user)) };
  if (owner !== undefined) await checkOtherOwner(ctx, found, { owner: escapeControls(owner), user }, policy);
  return found;
}

async function checkOtherOwner(ctx: Context, found: ContainerTarget, who: { owner: string; user: string }, policy: OwnerPolicy): Promise<void> {
  const { container, target, remoteFlag } = found;
  const whose = `${container.name} (${container.containerId.slice(0, 12)}) on ${target.description} was spawned by ${who.owner}, not by you (${who.user})`;
  if (policy.destructive === undefined || policy.otherUser === true) {
    ctx.reporter.warn(`${whose}.`, undefined, 'W_OTHER_USERS_CONTAINER');
    return;
  }
  if (!ctx.prompter.interactive) {
    throw new UsageError(`${whose}; pks will not ${policy.destructive} another user's dev container without being told to.`, {
      code: 'E_OTHER_USERS_CONTAINER',
      hint: `If ${who.owner} agrees, pass ${OTHER_USER_FLAG}. Your own containers: pks devcontainer list --all${remoteFlag}; everyone's: pks devcontainer list --all --all-users${remoteFlag}`,
    });
  }
  if (!(await ctx.prompter.confirm(`${whose}. ${capitalize(policy.destructive)} it anyway?`, { flag: OTHER_USER_FLAG }))) {
    throw new OperationError('E_DECLINED', `Left ${container.name} alone: it is ${who.owner}'s.`);
  }
}

function capitalize(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/**
 * Lifecycle hooks as messages on stderr: which hook runs, and its output
 * line by line (stdout is kept for data).
 */
export function hookMessages(ctx: Context): (event: HookEvent) => void {
  const partial = { stdout: '', stderr: '' };
  const flush = (stream: 'stdout' | 'stderr', all: boolean): void => {
    const lines = partial[stream].split('\n');
    partial[stream] = all ? '' : (lines.pop() ?? '');
    for (const line of lines) if (!all || line !== '') ctx.reporter.info(`  ${line}`);
  };
  return (event) => {
    switch (event.type) {
      case 'hook-start':
        ctx.reporter.info(`Running ${event.hook}: ${event.command}`);
        break;
      case 'hook-output':
        partial[event.stream] += event.text;
        flush(event.stream, false);
        break;
      case 'hook-end':
        flush('stdout', true);
        flush('stderr', true);
        ctx.reporter.debug(`${event.hook} finished in ${Math.round(event.durationMs)} ms`);
        break;
      case 'hook-wait':
        ctx.reporter.info(event.message);
        break;
      case 'hook-skip':
        ctx.reporter.debug(`${event.hook} skipped: ${event.reason}`);
        break;
    }
  };
}
