// The user's defaults, applied once commander has parsed the command line:
// the remote host a command runs against (--remote, else PKS_REMOTE, else
// the default in ~/.pks/config.json; `local` names the local engine and
// overrides a default) and default options per command from the same file.
// What the command line says always wins.

import type { CommandUnknownOpts, Option } from '@commander-js/extra-typings';
import { REMOTE_ID_PATTERN } from '../common/defaults.js';
import { UsageError, isPksError } from '../common/errors.js';
import { LOCAL_HOST_ID } from '../core/containers/labels.js';
import { RemoteHostStore } from '../store/remote-host-store.js';
import { UserConfigStore, invalid, type FlagValue, type UserConfig } from '../store/user-config.js';

export const REMOTE_ENV = 'PKS_REMOTE';

export type DefaultRemote = { id: string; source: 'env' | 'config' } | undefined;

/** `devcontainer list` for `pks dc ls`: the command's canonical names below the program. */
export function commandPath(command: CommandUnknownOpts): string {
  const names: string[] = [];
  for (let c: CommandUnknownOpts | null = command; c?.parent != null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The default remote host: PKS_REMOTE, else the configuration's; `local` included as given. */
export function defaultRemote(env: NodeJS.ProcessEnv, config: UserConfig): DefaultRemote {
  const fromEnv = env[REMOTE_ENV]?.trim() ?? '';
  if (fromEnv !== '') {
    if (!REMOTE_ID_PATTERN.test(fromEnv)) {
      throw new UsageError(`${REMOTE_ENV}=${fromEnv} is not a remote id.`, {
        hint: `A remote id is 1-63 lowercase letters, digits, "-" or "_" (or ${LOCAL_HOST_ID} for the local engine); unset ${REMOTE_ENV} to use the configured default.`,
      });
    }
    return { id: fromEnv, source: 'env' };
  }
  return config.defaultRemote === undefined ? undefined : { id: config.defaultRemote, source: 'config' };
}

/** How to stop using a default remote that came from `source`. */
export function unsetDefaultHint(source: 'env' | 'config'): string {
  return source === 'env'
    ? `Unset ${REMOTE_ENV} (or pass --remote ${LOCAL_HOST_ID} for the local engine).`
    : `Run pks remote default --unset (or pass --remote ${LOCAL_HOST_ID} for the local engine).`;
}

/** Applies the defaults to the command about to run (commander's preAction). */
export async function applyDefaults(env: NodeJS.ProcessEnv, action: CommandUnknownOpts): Promise<void> {
  const store = UserConfigStore.fromEnv(env);
  const config = await store.read();
  applyConfiguredFlags(store.file, config, action);
  const remote = action.options.find((option) => option.long === '--remote');
  if (remote !== undefined) await applyDefaultRemote(env, config, action);
}

async function applyDefaultRemote(env: NodeJS.ProcessEnv, config: UserConfig, action: CommandUnknownOpts): Promise<void> {
  const given = action.getOptionValueSource('remote') === 'cli';
  // `list --all-remotes` asks every engine: a default host does not narrow it.
  const everywhere = (action.opts() as { allRemotes?: boolean }).allRemotes === true;
  const fallback = given || everywhere ? undefined : defaultRemote(env, config);
  if (fallback !== undefined) action.setOptionValueWithSource('remote', fallback.id, fallback.source === 'env' ? 'env' : 'config');
  const id = (action.opts() as { remote?: string }).remote;
  if (id === LOCAL_HOST_ID) {
    action.setOptionValueWithSource('remote', undefined, given ? 'cli' : 'config');
    return;
  }
  if (fallback === undefined || id === undefined) return;
  try {
    await RemoteHostStore.fromEnv(env).require(id);
  } catch (error) {
    if (!isPksError(error) || error.code !== 'E_UNKNOWN_REMOTE') throw error;
    const from = fallback.source === 'env' ? REMOTE_ENV : 'the default remote (pks remote default)';
    throw new UsageError(`Unknown remote host "${id}", from ${from}.`, {
      code: 'E_UNKNOWN_REMOTE',
      hint: `${unsetDefaultHint(fallback.source)} ${error.hint ?? ''}`.trim(),
    });
  }
}

/** The configuration's options for this command, where the command line did not give them. */
function applyConfiguredFlags(file: string, config: UserConfig, action: CommandUnknownOpts): void {
  const path = commandPath(action);
  for (const [name, value] of Object.entries(config.flags?.[path] ?? {})) {
    const option = action.options.find((o) => o.long === `--${name}` || o.attributeName() === name);
    if (option === undefined || option.hidden) throw invalid(file, `flags.${path}: "${pksCommand(path)}" has no option --${name}`);
    const attribute = option.attributeName();
    const source = action.getOptionValueSource(attribute);
    if (source === 'cli' || source === 'env') continue;
    // `"no-cache": true` as written on the command line; `"cache": false` names the value itself.
    const negated = option.negate && option.long === `--${name}`;
    action.setOptionValueWithSource(attribute, optionValue(file, path, option, value, negated), 'config');
  }
}

function pksCommand(path: string): string {
  return `pks ${path}`;
}

function optionValue(file: string, path: string, option: Option, value: FlagValue, negated: boolean): unknown {
  const where = `flags.${path}.${option.long?.slice(2) ?? option.attributeName()}`;
  const takesValue = option.required || option.optional;
  if (!takesValue) {
    if (typeof value !== 'boolean') throw invalid(file, `${where}: expected true or false`);
    return negated ? !value : value;
  }
  if (typeof value === 'boolean') throw invalid(file, `${where}: expected a value, as on the command line`);
  const text = String(value);
  if (option.argChoices !== undefined && !option.argChoices.includes(text)) throw invalid(file, `${where}: expected one of ${option.argChoices.join(', ')}`);
  try {
    return option.parseArg === undefined ? text : option.parseArg(text, undefined);
  } catch (error) {
    throw invalid(file, `${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
