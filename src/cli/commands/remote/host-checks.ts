// What the remote commands share: the registry, the step-by-step check of a
// host, and keeping ~/.pks/ssh_config in step with the registry.

import { isPksError } from '../../../common/errors.js';
import { checkRemoteHost, type CheckResult, type CheckStep } from '../../../core/remote/remote-check.js';
import { resolveRemoteTarget } from '../../../core/remote/host-ssh-target.js';
import { refreshSshAliases } from '../../../core/remote/ssh-aliases.js';
import { RemoteHostStore, type RemoteHost } from '../../../store/remote-host-store.js';
import type { Context } from '../../context.js';
import { warnSkippedAliases } from '../../editor.js';
import { sshPrompts } from '../../ssh-prompts.js';

const STATUS_MARK: Record<CheckStep['status'], string> = { pass: '✔', fail: '✖', warn: '!', skip: '-' };

export function storeOf(ctx: Context): RemoteHostStore {
  return RemoteHostStore.fromEnv(ctx.env);
}

export function timeoutMs(seconds: number | undefined): number {
  return (seconds ?? 10) * 1000;
}

export function formatStep(step: CheckStep): string {
  const line = `${STATUS_MARK[step.status]} ${step.title.padEnd(15)} ${step.detail}${step.status === 'skip' ? '' : ` (${step.durationMs} ms)`}`;
  return step.hint === undefined || step.status === 'pass' ? line : `${line}\n    hint: ${step.hint}`;
}

export interface ConnectFlags {
  acceptNewHostKey?: boolean;
  timeout?: number;
}

/**
 * Checks the host step by step. With `findSocket`, a host whose configured
 * socket is not usable is searched for the engine's socket (a Podman host's).
 */
export async function runChecks(
  ctx: Context,
  entry: RemoteHost,
  flags: ConnectFlags,
  onStep?: (step: CheckStep) => void,
  findSocket = false,
): Promise<CheckResult> {
  const target = resolveRemoteTarget(entry, {
    env: ctx.env,
    acceptNewHostKey: flags.acceptNewHostKey === true,
    prompts: sshPrompts(ctx),
    timeoutMs: timeoutMs(flags.timeout),
  });
  ctx.reporter.debug(`connecting to ${target.login}${target.sshConfig.sources.length > 0 ? ` (from ssh_config: ${target.sshConfig.sources.join(', ')})` : ''}`);
  return checkRemoteHost(target, { onStep, findSocket });
}

export function failedStep(result: CheckResult): CheckStep | undefined {
  return result.steps.find((step) => step.status === 'fail');
}

/** Brings ~/.pks/ssh_config up to date with the registry; the registry change stands even if that fails. */
export async function refreshAliases(ctx: Context, store: RemoteHostStore): Promise<void> {
  try {
    warnSkippedAliases(ctx, await refreshSshAliases(await store.list(), ctx.env));
  } catch (error) {
    if (!isPksError(error)) throw error;
    ctx.reporter.warn(`The registry was changed, but its SSH aliases were not: ${error.message}`, error.hint);
  }
}
