// `pks __complete <words...>`: what the shell scripts of `pks completion`
// ask on each Tab. The words are the command line after `pks`, the last one
// the word being completed (empty after a space). The answer, one candidate a
// line, comes from the command tree, the hosts file and, for containers, the
// local engine (with a short deadline) or the cache `list` leaves for each
// host: never an SSH connection, which would cost a round trip per keystroke.

import { Help, type CommandUnknownOpts, type Option } from '@commander-js/extra-typings';
import { LOCAL_HOST_ID } from '../core/containers/labels.js';
import { readCompletionCache } from '../store/completion-cache.js';
import { RemoteHostStore } from '../store/remote-host-store.js';
import { UserConfigStore } from '../store/user-config.js';
import type { Context } from './context.js';
import { defaultRemote } from './defaults.js';

/** How long the local engine may take to list containers before the cache answers instead. */
const LOCAL_QUERY_MS = 400;

/**
 * What may be offered: the shells insert a candidate as typed, so nothing a
 * shell would read as syntax (spaces, quotes, `$`, `;`, globs, control characters).
 */
const SAFE_CANDIDATE = /^[A-Za-z0-9_-][A-Za-z0-9_.:@+/-]*$/;

/** What the word being completed is, once the words before it are read against the command tree. */
export type CompletionSlot =
  | { kind: 'subcommand' | 'option'; command: CommandUnknownOpts }
  | { kind: 'option-value'; command: CommandUnknownOpts; option: Option }
  | { kind: 'argument'; command: CommandUnknownOpts; name: string | undefined };

function findOption(command: CommandUnknownOpts, word: string): Option | undefined {
  for (let c: CommandUnknownOpts | null = command; c !== null; c = c.parent) {
    const option = c.options.find((o) => o.long === word || o.short === word);
    if (option !== undefined) return option;
  }
  return undefined;
}

function takesValue(option: Option): boolean {
  return option.required || option.optional;
}

/** Reads `before` (the words already typed) down the tree, then says what `current` is. */
export function completionSlot(program: CommandUnknownOpts, before: readonly string[], current: string): CompletionSlot {
  let command = program;
  let positional = 0;
  for (let i = 0; i < before.length; i += 1) {
    const word = before[i] ?? '';
    if (word.startsWith('-') && word.length > 1) {
      const option = word.includes('=') ? undefined : findOption(command, word);
      if (option !== undefined && takesValue(option)) i += 1;
      continue;
    }
    const sub = positional === 0 ? command.commands.find((c) => c.name() === word || c.aliases().includes(word)) : undefined;
    if (sub !== undefined) command = sub;
    else positional += 1;
  }
  const previous = before.at(-1);
  const valueOf = previous?.startsWith('-') === true ? findOption(command, previous) : undefined;
  if (valueOf !== undefined && takesValue(valueOf)) return { kind: 'option-value', command, option: valueOf };
  if (current.startsWith('-')) return { kind: 'option', command };
  if (command.commands.length > 0 && positional === 0) return { kind: 'subcommand', command };
  const args = command.registeredArguments;
  const argument = args[Math.min(positional, args.length - 1)];
  const name = argument !== undefined && (positional < args.length || argument.variadic) ? argument.name() : undefined;
  return { kind: 'argument', command, name };
}

/** The value of `--remote` among the words, if one was given. */
function remoteWord(words: readonly string[]): string | undefined {
  for (let i = words.length - 1; i >= 0; i -= 1) {
    const word = words[i] ?? '';
    if (word.startsWith('--remote=')) return word.slice('--remote='.length);
    if (word === '--remote' && i + 1 < words.length) return words[i + 1];
  }
  return undefined;
}

async function remoteIds(ctx: Context): Promise<string[]> {
  try {
    return (await RemoteHostStore.fromEnv(ctx.env).list()).map((host) => host.id);
  } catch {
    return [];
  }
}

/** The engine a container argument refers to: --remote among the words, else the default, else local. */
async function targetHost(ctx: Context, words: readonly string[]): Promise<string> {
  const given = remoteWord(words);
  if (given !== undefined) return given;
  try {
    return defaultRemote(ctx.env, await UserConfigStore.fromEnv(ctx.env).read())?.id ?? LOCAL_HOST_ID;
  } catch {
    return LOCAL_HOST_ID;
  }
}

/** The local engine's dev containers, if it answers within the deadline. */
async function localNames(ctx: Context): Promise<string[] | undefined> {
  const [{ openLocalEngine }, { listDevcontainers }] = await Promise.all([import('../engine/index.js'), import('../core/containers/discovery.js')]);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), LOCAL_QUERY_MS);
  });
  try {
    const engine = await openLocalEngine(ctx.env);
    try {
      const listed = await Promise.race([listDevcontainers(engine, LOCAL_HOST_ID, { all: true }), deadline]);
      return listed?.flatMap((c) => [c.name, c.project]);
    } finally {
      await engine.close().catch(() => undefined);
    }
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

export async function containerNames(ctx: Context, host: string): Promise<string[]> {
  if (host === LOCAL_HOST_ID) {
    const names = await localNames(ctx);
    if (names !== undefined) return names;
  }
  return readCompletionCache(ctx.env, host);
}

/** The options `--help` lists (hidden ones left out), long and short. */
function optionWords(command: CommandUnknownOpts): string[] {
  return new Help().visibleOptions(command).flatMap((o) => [o.long, o.short].filter((flag): flag is string => flag !== undefined));
}

/** The candidates for the last word of `words`, in the order they are offered. */
export async function completionCandidates(ctx: Context, program: CommandUnknownOpts, words: readonly string[]): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const slot = completionSlot(program, before, current);
  let candidates: string[] = [];
  switch (slot.kind) {
    case 'subcommand':
      candidates = new Help().visibleCommands(slot.command).map((c) => c.name());
      break;
    case 'option':
      candidates = optionWords(slot.command);
      break;
    case 'option-value':
      if (slot.option.long === '--remote') candidates = [...(await remoteIds(ctx)), LOCAL_HOST_ID];
      else candidates = slot.option.argChoices ?? [];
      break;
    case 'argument':
      if (slot.name === 'container') candidates = await containerNames(ctx, await targetHost(ctx, before));
      else if (slot.name === 'id' && slot.command.parent?.name() === 'remote' && slot.command.name() !== 'add') candidates = await remoteIds(ctx);
      else if (slot.name === 'shell') candidates = [...SHELLS];
      break;
  }
  return [...new Set(candidates)].filter((c) => c.startsWith(current) && SAFE_CANDIDATE.test(c));
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** Never fails: a completion that cannot answer offers nothing (and the shell falls back to file names). */
export async function runComplete(ctx: Context, program: CommandUnknownOpts, words: readonly string[]): Promise<void> {
  let candidates: string[] = [];
  try {
    candidates = await completionCandidates(ctx, program, words.length === 0 ? [''] : words);
  } catch (error) {
    ctx.reporter.debug(`completion: ${String(error)}`);
    candidates = [];
  }
  if (candidates.length > 0) ctx.stdout.write(`${candidates.join('\n')}\n`);
}
