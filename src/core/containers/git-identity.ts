// The user's git identity (user.name, user.email of this machine) written into
// the container user's global git config, as VS Code does, so a commit made
// inside carries the author it would carry here. Only those two keys, only
// values that are plain text, never over an identity the container has.

import type { EngineClient } from '../../engine/index.js';
import { execCapture } from './exec.js';

export interface GitIdentity {
  name?: string | undefined;
  email?: string | undefined;
}

export type GitIdentityOutcome =
  | { kind: 'copied'; keys: string[] }
  | { kind: 'kept'; reason: string }
  | { kind: 'skipped'; reason: string };

const MAX_LENGTH = 256;

/**
 * Why `value` is not copied, or undefined when it is safe: one line of
 * printable text (no control characters, which a terminal or a commit header
 * would interpret), of a sane length; an email without angle brackets.
 */
export function unsafeIdentityValue(key: 'user.name' | 'user.email', value: string): string | undefined {
  if (value.trim() === '') return `${key} is empty`;
  if (value.length > MAX_LENGTH) return `${key} is longer than ${MAX_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return `${key} contains control characters`;
  if (key === 'user.email' && /[<>\s]/.test(value)) return `${key} contains spaces or angle brackets`;
  return undefined;
}

/** The keys of `identity` that are safe to copy, and why the others are not. */
export function safeIdentity(identity: GitIdentity): { entries: Array<['user.name' | 'user.email', string]>; refused: string[] } {
  const entries: Array<['user.name' | 'user.email', string]> = [];
  const refused: string[] = [];
  for (const [key, value] of [['user.name', identity.name], ['user.email', identity.email]] as const) {
    if (value === undefined) continue;
    const problem = unsafeIdentityValue(key, value);
    if (problem === undefined) entries.push([key, value]);
    else refused.push(problem);
  }
  return { entries, refused };
}

/** An exec whose binary is missing: the runtime's 126/127 (or its message). */
function gitMissing(result: { exitCode: number; stdout: string; stderr: string }): boolean {
  return result.exitCode === 126 || result.exitCode === 127 || /executable file not found|no such file or directory/i.test(result.stdout + result.stderr);
}

/**
 * The look and the writes of copyGitIdentity in one process (each exec costs
 * three round trips to the engine): the keys and values come as arguments,
 * never inside the script. The first line of its output says how it ended;
 * git's own output stays in variables.
 */
const ONE_EXEC = [
  'found=$(git config --global --get-regexp \'^user\\.(name|email)$\' 2>/dev/null); code=$?',
  'case "$code" in 126|127) echo missing; exit 0;; esac',
  'if [ "$code" = 0 ] && [ -n "$found" ]; then echo kept; exit 0; fi',
  'while [ "$#" -gt 1 ]; do',
  '  said=$(git config --global "$1" "$2" 2>&1); code=$?',
  '  if [ "$code" != 0 ]; then printf \'failed %s %s\\n%s\' "$1" "$code" "$said"; exit 0; fi',
  '  shift 2',
  'done',
  'echo copied',
].join('\n');

/** copyGitIdentity in one exec; undefined when the image has no /bin/sh to run it. */
async function copyInOneExec(engine: EngineClient, containerId: string, user: string | undefined, entries: Array<['user.name' | 'user.email', string]>): Promise<GitIdentityOutcome | undefined> {
  const run = await execCapture(engine, containerId, { cmd: ['/bin/sh', '-c', ONE_EXEC, 'pks-git-identity', ...entries.flat()], user });
  const [first = '', ...rest] = run.stdout.split('\n');
  if (run.exitCode !== 0) return undefined;
  if (first === 'missing') return { kind: 'skipped', reason: 'git is not installed in the container' };
  if (first === 'kept') return { kind: 'kept', reason: 'the container user has a git identity of its own' };
  if (first === 'copied') return { kind: 'copied', keys: entries.map(([key]) => key) };
  const failed = /^failed (\S+) (\d+)$/.exec(first);
  if (failed === null) return undefined;
  return { kind: 'skipped', reason: `git config --global ${failed[1]} failed with exit code ${failed[2]}: ${rest.join('\n').trim()}` };
}

/**
 * Writes the identity with `git config --global` run as `user` (argv, the
 * values as arguments). The container's own identity — either key already set
 * in that user's global config — is kept whole: no author made of two people.
 * One exec through /bin/sh; without a shell, one exec per git command.
 */
export async function copyGitIdentity(engine: EngineClient, containerId: string, user: string | undefined, identity: GitIdentity): Promise<GitIdentityOutcome> {
  const { entries, refused } = safeIdentity(identity);
  if (entries.length === 0) {
    return { kind: 'skipped', reason: refused.length > 0 ? `${refused.join('; ')}: not copied` : 'no user.name or user.email set on this machine' };
  }
  const together = await copyInOneExec(engine, containerId, user, entries);
  if (together !== undefined) return together;
  const probe = await execCapture(engine, containerId, { cmd: ['git', 'config', '--global', '--get-regexp', '^user\\.(name|email)$'], user });
  if (gitMissing(probe)) return { kind: 'skipped', reason: 'git is not installed in the container' };
  if (probe.exitCode === 0 && probe.stdout.trim() !== '') return { kind: 'kept', reason: 'the container user has a git identity of its own' };
  for (const [key, value] of entries) {
    const set = await execCapture(engine, containerId, { cmd: ['git', 'config', '--global', key, value], user });
    if (set.exitCode !== 0) return { kind: 'skipped', reason: `git config --global ${key} failed with exit code ${set.exitCode}: ${(set.stderr || set.stdout).trim()}` };
  }
  return { kind: 'copied', keys: entries.map(([key]) => key) };
}
