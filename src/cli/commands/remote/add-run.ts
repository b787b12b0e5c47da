// `pks remote add|list|test|remove`: parse, call the core, render. Loaded only
// when one of these commands runs.

import path from 'node:path';
import { OperationError, UsageError, isPksError } from '../../../common/errors.js';
import { checkRemoteHost, type CheckResult, type CheckStep } from '../../../core/remote-check.js';
import { countManagedContainers } from '../../../core/remote-hosts.js';
import { resolveRemoteTarget } from '../../../core/remote-target.js';
import { refreshSshAliases, renderHostBlocks } from '../../../core/ssh-aliases.js';
import { RemoteHostStore, describeHost, remoteExistsError, type RemoteHost } from '../../../store/remote-host-store.js';
import type { Context } from '../../context.js';
import { warnSkippedAliases } from '../../editor.js';
import type { OutputFormat } from '../../options.js';
import { present, type View } from '../../present.js';
import { relativeTime } from '../../relative-time.js';
import { sshPrompts } from '../../ssh-prompts.js';
import { renderTable } from '../../table.js';

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

/** Brings ~/.pks/ssh_config up to date with the registry; the registry change stands even if that fails. */
async function refreshAliases(ctx: Context, store: RemoteHostStore): Promise<void> {
  try {
    warnSkippedAliases(ctx, await refreshSshAliases(await store.list(), ctx.env));
  } catch (error) {
    if (!isPksError(error)) throw error;
    ctx.reporter.warn(`The registry was changed, but its SSH aliases were not: ${error.message}`, error.hint);
  }
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

/**
 * What users type first for a host — `dev@box`, `box:2222`, `ssh://dev@box:2222`
 * — split into host, user and port (each may also come from its flag, but
 * not differently from both).
 */
export function splitHostSpec(spec: string, flags: { user?: string | undefined; port?: number | undefined }): { host: string; user?: string; port?: number } {
  let rest = spec.replace(/^ssh:\/\//i, '').replace(/\/$/, '');
  let user: string | undefined;
  let port: number | undefined;
  const at = rest.lastIndexOf('@');
  if (at > 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  const hostPort = /^([^:]+):(\d+)$/.exec(rest);
  if (bracketed !== null) {
    rest = bracketed[1] ?? rest;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (hostPort !== null) {
    rest = hostPort[1] ?? rest;
    port = Number(hostPort[2]);
  }
  if (rest === '' || (port !== undefined && (port < 1 || port > 65535))) {
    throw new UsageError(`--host "${spec}" is not a host name or address.`, { hint: 'For example: --host 203.0.113.7 --user dev --port 2222' });
  }
  const conflict = (what: string, fromSpec: string | number | undefined, fromFlag: string | number | undefined) => {
    if (fromSpec !== undefined && fromFlag !== undefined && fromSpec !== fromFlag) {
      throw new UsageError(`--host "${spec}" names the ${what} ${fromSpec}, but --${what} says ${fromFlag}.`, { hint: `Give the ${what} once.` });
    }
  };
  conflict('user', user, flags.user);
  conflict('port', port, flags.port);
  const chosenUser = flags.user ?? user;
  const chosenPort = flags.port ?? port;
  return { host: rest, ...(chosenUser === undefined ? {} : { user: chosenUser }), ...(chosenPort === undefined ? {} : { port: chosenPort }) };
}

export async function remoteAdd(ctx: Context, id: string, flags: AddFlags): Promise<void> {
  const address = splitHostSpec(flags.host, flags);
  const store = storeOf(ctx);
  const existing = await store.get(id);
  // store.add checks this too; failing here saves a pointless connection.
  if (existing !== undefined && flags.force !== true) throw remoteExistsError(existing);
  const key = flags.key === undefined || flags.key.startsWith('~') ? flags.key : path.resolve(ctx.cwd, flags.key);
  const entry: RemoteHost = {
    id,
    ...address,
    ...(key === undefined ? {} : { key }),
    dockerSocket: flags.dockerSocket,
    addedAt: new Date().toISOString(),
  };
  // Checked before testing and saving: a value ssh_config cannot hold would leave the
  // host out of pks's ssh_config (exit 2, nothing saved).
  renderHostBlocks([entry], ctx.env);
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
  await refreshAliases(ctx, store);
  ctx.reporter.success(`${existing === undefined ? 'Added' : 'Replaced'} remote host "${id}" (${describeHost(entry)}).`);
  ctx.reporter.info(`Next: pks devcontainer spawn --remote ${id}`);
}

/**
 * Where pks connects, as ssh_config resolves it (HostName, User, Port of an
 * alias; the local user by default), with the alias when there is one; and
 * with which key (the registered one, else the alias's).
 */
function effectiveLogin(ctx: Context, host: RemoteHost): { address: string; key: string } {
  const { options, sshConfig } = resolveRemoteTarget(host, { env: ctx.env });
  const login = `${options.username}@${options.host}:${options.port ?? 22}`;
  const identities = sshConfig.identityFiles;
  return {
    address: options.host === host.host ? login : `${host.host} → ${login}`,
    key: host.key ?? (identities.length > 0 ? identities.join(', ') : '(ssh default)'),
  };
}

export async function remoteList(ctx: Context, flags: { format: OutputFormat }): Promise<void> {
  present(ctx.reporter, flags.format, await storeOf(ctx).list(), remoteListView(ctx));
}

/** The JSON document is the registry's entries as stored; the table adds where ssh_config leads. */
function remoteListView(ctx: Context): View<RemoteHost[]> {
  return {
    text(hosts, reporter) {
      if (hosts.length === 0) {
        reporter.info('No remote hosts registered. Add one with: pks remote add <id> --host <host> [--user <user>] [--key <path>]');
        return;
      }
      // ssh_config is read once per host.
      const rows = hosts.map((host) => ({ host, ...effectiveLogin(ctx, host) }));
      reporter.data(
        renderTable(
          [
            { header: 'ID', value: (r: (typeof rows)[number]) => r.host.id },
            { header: 'ADDRESS', value: (r) => r.address },
            { header: 'KEY', value: (r) => r.key },
            { header: 'ENGINE', value: (r) => (r.host.capabilities === undefined ? '-' : `Docker ${r.host.capabilities.engineVersion}`) },
            { header: 'LAST TESTED', value: (r) => relativeTime(r.host.lastTestedAt) },
          ],
          rows,
        ),
      );
    },
  };
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
      ? `${count.count} pks-managed container${count.count === 1 ? ' on it will be left as it is' : 's on it will be left as they are'}`
      : `its containers (if any) will be left as they are; pks could not reach it to count them (${count.reason.replace(/\.$/, '')})`;
  if (flags.yes !== true) {
    const yes = await ctx.prompter.confirm(`Forget remote host "${id}" (${describeHost(entry)})? ${what}.`, { flag: '--yes' });
    if (!yes) {
      ctx.reporter.info('Nothing removed.');
      return;
    }
  }
  await store.remove(id);
  await refreshAliases(ctx, store);
  ctx.reporter.success(`Removed remote host "${id}". ${what.charAt(0).toUpperCase()}${what.slice(1)}.`);
}
