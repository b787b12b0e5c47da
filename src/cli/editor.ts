// Opening a dev container in VS Code, for `connect` and `spawn`: find the
// editor, make the SSH alias a remote container's URI names resolvable, and
// start the editor detached (argv, no shell).

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { OperationError, UsageError } from '../common/errors.js';
import { addSshInclude, pksSshConfigPath, sshAliasFor, sshIncludeState, writeSshAliases } from '../core/remote/ssh-aliases.js';
import { RemoteHostStore } from '../store/remote-host-store.js';
import type { Context } from './context.js';
import { EDITORS, type Ide } from './editors.js';

export type { Ide } from './editors.js';



/**
 * `--ide code` asks for an editor and `--no-launch` for none: together they
 * contradict each other (`--ide none --no-launch` agrees, and is accepted).
 * commander's .conflicts() cannot tell `--ide none` from the others.
 */
export function refuseIdeWithoutLaunch(flags: { launch?: boolean | undefined; ide?: Ide | undefined }): void {
  if (flags.launch === false && flags.ide !== undefined && flags.ide !== 'none') {
    throw new UsageError(`--ide ${flags.ide} cannot be combined with --no-launch.`, {
      hint: 'Drop one: --ide chooses the editor to open, --no-launch opens none.',
    });
  }
}

/** The first of `names` that is an executable on PATH. */
function findOnPath(names: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (const name of names) {
    for (const dir of (env.PATH ?? '').split(path.delimiter).filter((d) => d !== '')) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The editor to open: `ide` if given, else the first of EDITORS on PATH; undefined if none is there. */
export function findEditor(env: NodeJS.ProcessEnv, ide: Exclude<Ide, 'none'> | undefined): string | undefined {
  return findOnPath(ide === undefined ? EDITORS : [ide], env);
}

/** What to tell when no editor was found. */
export function editorMissing(ide: Exclude<Ide, 'none'> | undefined): string {
  return `${ide ?? `VS Code (${EDITORS.join(', ')})`} is not on PATH, so nothing was opened.`;
}

/** Opens the editor and lets it live on after pks exits (argv, no shell). */
export function launchEditor(binary: string, uri: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--folder-uri', uri], { detached: true, stdio: 'ignore', env });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/** One warning per registered host left out of pks's ssh_config: the others work. */
export function warnSkippedAliases(ctx: Context, skipped: ReadonlyArray<{ id: string; reason: string }>): void {
  for (const host of skipped) {
    ctx.reporter.warn(`Remote host "${host.id}" is left out of ${pksSshConfigPath(ctx.env)}: ${host.reason}`, `Register it again with values ssh_config can hold: pks remote add ${host.id} --host <host> --force`);
  }
}

/**
 * The SSH alias through which VS Code reaches a registered host: written to
 * pks's own ssh_config, which ~/.ssh/config must include. Adding that one
 * Include line needs consent (a prompt on a TTY, or `yes`); without it, a
 * warning says how to add it.
 */
export async function sshAliasForRemote(ctx: Context, hostId: string, yes: boolean): Promise<string> {
  const { skipped } = await writeSshAliases(await RemoteHostStore.fromEnv(ctx.env).list(), ctx.env);
  const alias = sshAliasFor(hostId);
  const own = skipped.find((host) => host.id === hostId);
  if (own !== undefined) {
    throw new OperationError('E_SSH_ALIAS_UNWRITABLE', `VS Code cannot reach remote host "${hostId}": ${own.reason}`, {
      hint: `Register it again with values ssh_config can hold: pks remote add ${hostId} --host <host> --force`,
    });
  }
  warnSkippedAliases(ctx, skipped);
  if ((await sshIncludeState(ctx.env)) === 'present') return alias;
  const file = pksSshConfigPath(ctx.env);
  const consent =
    yes ||
    (ctx.prompter.interactive &&
      (await ctx.prompter.confirm(`VS Code reaches this host through the SSH alias ${alias}, defined in ${file}. Add "Include ${file}" at the top of ~/.ssh/config?`, {
        flag: '--yes',
        defaultAnswer: true,
      })));
  if (consent) {
    const changed = await addSshInclude(ctx.env);
    ctx.reporter.info(`Added "Include ${file}" to ${changed}.`);
  } else {
    ctx.reporter.warn(`VS Code will not find the SSH alias ${alias} until ~/.ssh/config includes ${file}.`, `Add the line "Include ${file}" at the top of ~/.ssh/config, or run again with --yes.`);
  }
  return alias;
}
