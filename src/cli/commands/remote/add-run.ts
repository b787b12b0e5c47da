// `pks remote add`: register a host, after testing it unless --no-test.

import path from 'node:path';
import { OperationError, UsageError } from '../../../common/errors.js';
import { withoutUndefined } from '../../../common/defined.js';
import { renderHostBlocks } from '../../../core/remote/ssh-aliases.js';
import { DEFAULT_DOCKER_SOCKET, describeHost, remoteExistsError, type RemoteHost } from '../../../store/remote-host-store.js';
import type { Context } from '../../context.js';
import { failedStep, formatStep, refreshAliases, runChecks, storeOf, type ConnectFlags } from './host-checks.js';

export interface AddFlags extends ConnectFlags {
  host: string;
  user?: string;
  port?: number;
  key?: string;
  /** Unset: /var/run/docker.sock, or the engine socket the test finds (a Podman host's). */
  dockerSocket?: string;
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
  return withoutUndefined({ host: rest, user: chosenUser, port: chosenPort });
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
    key,
    dockerSocket: flags.dockerSocket ?? DEFAULT_DOCKER_SOCKET,
    addedAt: new Date().toISOString(),
  };
  // Checked before testing and saving: a value ssh_config cannot hold would leave the
  // host out of pks's ssh_config (exit 2, nothing saved).
  renderHostBlocks([entry], ctx.env);
  if (flags.test) {
    ctx.reporter.info(`Testing ${describeHost(entry)} before saving it...`);
    // Progress of the add, so it goes with the other messages on stderr.
    const result = await runChecks(ctx, entry, flags, (step) => ctx.reporter.info(formatStep(step)), flags.dockerSocket === undefined);
    const failed = failedStep(result);
    if (failed !== undefined) {
      throw new OperationError('E_REMOTE_TEST_FAILED', `Remote host "${id}" was not saved: the ${failed.title} step failed.`, {
        hint: 'Fix the problem shown above and run the same command again, or pass --no-test to save it without checking.',
      });
    }
    entry.lastTestedAt = new Date().toISOString();
    if (result.capabilities !== undefined) entry.capabilities = result.capabilities;
    if (result.foundSocket !== undefined) entry.dockerSocket = result.foundSocket;
  }
  await store.add(entry, { replace: flags.force === true });
  await refreshAliases(ctx, store);
  ctx.reporter.success(`${existing === undefined ? 'Added' : 'Replaced'} remote host "${id}" (${describeHost(entry)}).`);
  ctx.reporter.info(`Next: pks devcontainer spawn --remote ${id}`);
}
