// `pks remote add|list|test|remove`: parse, call the core, render. Loaded only
// when one of these commands runs.

import path from 'node:path';
import { OperationError } from '../../common/errors.js';
import { checkRemoteHost, type CheckResult, type CheckStep } from '../../core/remote-check.js';
import { countManagedContainers } from '../../core/remote-hosts.js';
import { resolveRemoteTarget } from '../../core/remote-target.js';
import { RemoteHostStore, describeHost, remoteExistsError, type RemoteHost } from '../../store/remote-host-store.js';
import type { Context } from '../context.js';
import type { OutputFormat } from '../options.js';
import { relativeTime } from '../relative-time.js';
import { sshPrompts } from '../ssh-prompts.js';
import { renderTable } from '../table.js';

const STATUS_MARK: Record<CheckStep['status'], string> = { pass: '✔', fail: '✖', warn: '!', skip: '-' };

function storeOf(ctx: Context): RemoteHostStore {
  return RemoteHostStore.fromEnv(ctx.env);
}

function timeoutMs(seconds: number | undefined): number {
  return (seconds ?? 10) * 1000;
}

function formatStep(step: CheckStep): string {
  const line = `${STATUS_MARK[step.status]} ${step.title.padEnd(15)} ${step.detail}${step.status === 'skip' ? '' : ` (${step.durationMs} ms)`}`;
  return step.hint === undefined || step.status === 'pass' ? line : `${line}\n    hint: ${step.hint}`;
}

interface ConnectFlags {
  acceptNewHostKey?: boolean;
  timeout?: number;
}

async function runChecks(ctx: Context, entry: RemoteHost, flags: ConnectFlags, onStep?: (step: CheckStep) => void): Promise<CheckResult> {
  const target = resolveRemoteTarget(entry, {
    env: ctx.env,
    acceptNewHostKey: flags.acceptNewHostKey === true,
    prompts: sshPrompts(ctx),
    timeoutMs: timeoutMs(flags.timeout),
  });
  ctx.reporter.debug(`connecting to ${target.login}${target.sshConfig.sources.length > 0 ? ` (from ssh_config: ${target.sshConfig.sources.join(', ')})` : ''}`);
  return checkRemoteHost(target, onStep === undefined ? {} : { onStep });
}

function failedStep(result: CheckResult): CheckStep | undefined {
  return result.steps.find((step) => step.status === 'fail');
}

export interface AddFlags extends ConnectFlags {
  host: string;
  user?: string;
  port?: number;
  key?: string;
  dockerSocket: string;
  test: boolean;
  force?: boolean;
}

export async function remoteAdd(ctx: Context, id: string, flags: AddFlags): Promise<void> {
  const store = storeOf(ctx);
  const existing = await store.get(id);
  // store.add checks this too; failing here saves a pointless connection.
  if (existing !== undefined && flags.force !== true) throw remoteExistsError(existing);
  const key = flags.key === undefined || flags.key.startsWith('~') ? flags.key : path.resolve(ctx.cwd, flags.key);
  const entry: RemoteHost = {
    id,
    host: flags.host,
    ...(flags.user === undefined ? {} : { user: flags.user }),
    ...(flags.port === undefined ? {} : { port: flags.port }),
    ...(key === undefined ? {} : { key }),
    dockerSocket: flags.dockerSocket,
    addedAt: new Date().toISOString(),
  };
  if (flags.test) {
    ctx.reporter.info(`Testing ${describeHost(entry)} before saving it...`);
    // Progress of the add, so it goes with the other messages on stderr.
    const result = await runChecks(ctx, entry, flags, (step) => ctx.reporter.info(formatStep(step)));
    const failed = failedStep(result);
    if (failed !== undefined) {
      throw new OperationError('E_REMOTE_TEST_FAILED', `Remote host "${id}" was not saved: the ${failed.title} step failed.`, {
        hint: 'Fix the problem shown above and run the same command again, or pass --no-test to save it without checking.',
      });
    }
    entry.lastTestedAt = new Date().toISOString();
    if (result.capabilities !== undefined) entry.capabilities = result.capabilities;
  }
  await store.add(entry, { replace: flags.force === true });
  ctx.reporter.success(`${existing === undefined ? 'Added' : 'Replaced'} remote host "${id}" (${describeHost(entry)}).`);
  ctx.reporter.info(`Next: pks devcontainer spawn --remote ${id}`);
}

export async function remoteList(ctx: Context, flags: { format: OutputFormat }): Promise<void> {
  const hosts = await storeOf(ctx).list();
  if (flags.format === 'json') {
    ctx.reporter.json(hosts);
    return;
  }
  if (hosts.length === 0) {
    ctx.reporter.info('No remote hosts registered. Add one with: pks remote add <id> --host <host> [--user <user>] [--key <path>]');
    return;
  }
  ctx.reporter.data(
    renderTable(
      [
        { header: 'ID', value: (h: RemoteHost) => h.id },
        { header: 'ADDRESS', value: (h) => `${h.user ?? '(ssh default)'}@${h.host}:${h.port ?? 22}` },
        { header: 'KEY', value: (h) => h.key ?? '(ssh default)' },
        { header: 'ENGINE', value: (h) => (h.capabilities === undefined ? '-' : `Docker ${h.capabilities.engineVersion}`) },
        { header: 'LAST TESTED', value: (h) => relativeTime(h.lastTestedAt) },
      ],
      hosts,
    ),
  );
}

export async function remoteTest(ctx: Context, id: string, flags: ConnectFlags & { format: OutputFormat }): Promise<void> {
  const store = storeOf(ctx);
  const entry = await store.require(id);
  const json = flags.format === 'json';
  if (!json) ctx.reporter.info(`Testing remote host "${id}" (${describeHost(entry)})...`);
  // The steps are what `remote test` reports: data, on stdout.
  const result = await runChecks(ctx, entry, flags, json ? undefined : (step) => ctx.reporter.data(formatStep(step)));
  if (result.ok) {
    await store.update(id, {
      lastTestedAt: new Date().toISOString(),
      ...(result.capabilities === undefined ? {} : { capabilities: result.capabilities }),
    });
  }
  if (json) ctx.reporter.json({ id, ok: result.ok, steps: result.steps, capabilities: result.capabilities ?? null });
  const failed = failedStep(result);
  if (failed !== undefined) {
    throw new OperationError('E_REMOTE_TEST_FAILED', `Remote host "${id}" failed the ${failed.title} step.`, {
      hint: failed.hint ?? `Run with --verbose for details.`,
    });
  }
  if (!json) ctx.reporter.success(`Remote host "${id}" is ready.`);
}

export async function remoteRemove(ctx: Context, id: string, flags: { yes?: boolean; timeout?: number }): Promise<void> {
  const store = storeOf(ctx);
  const entry = await store.require(id);
  const target = resolveRemoteTarget(entry, { env: ctx.env, timeoutMs: timeoutMs(flags.timeout ?? 5) });
  const count = await countManagedContainers(target);
  const what =
    count.status === 'counted'
      ? `${count.count} pks-managed container${count.count === 1 ? '' : 's'} on it will be left as they are`
      : `its containers (if any) will be left as they are; pks could not reach it to count them (${count.reason})`;
  if (flags.yes !== true) {
    const yes = await ctx.prompter.confirm(`Forget remote host "${id}" (${describeHost(entry)})? ${what}.`, { flag: '--yes' });
    if (!yes) {
      ctx.reporter.info('Nothing removed.');
      return;
    }
  }
  await store.remove(id);
  ctx.reporter.success(`Removed remote host "${id}". ${what.charAt(0).toUpperCase()}${what.slice(1)}.`);
}
