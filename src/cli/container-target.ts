// The first step of every command that acts on one dev container: open the
// engine (`--remote` or local), find the container the argument names (a
// picker on a terminal when several match), and remember to close the engine.

import { describeCandidate, findDevcontainer, type DevcontainerSummary } from '../core/discovery.js';
import { openEngineTarget, remoteFlagOf, type EngineTarget } from '../core/engine-target.js';
import type { HookEvent } from '../core/hooks.js';
import type { Context } from './context.js';
import { retryPolicy } from './retry-notices.js';
import { sshPrompts } from './ssh-prompts.js';

export interface ContainerTarget {
  target: EngineTarget;
  container: DevcontainerSummary;
  /** ` --remote r1` or empty: appended to the commands suggested in messages. */
  remoteFlag: string;
}

export async function openContainerTarget(ctx: Context, query: string | undefined, remote: string | undefined): Promise<ContainerTarget> {
  const target = await openEngineTarget({
    env: ctx.env,
    ...(remote === undefined ? {} : { remote }),
    prompts: sshPrompts(ctx),
    retry: retryPolicy(ctx),
  });
  ctx.defer(target.engine);
  const remoteFlag = remoteFlagOf(target.hostId);
  const { container, rule } = await findDevcontainer(target.engine, {
    query,
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
  return { target, container, remoteFlag };
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
