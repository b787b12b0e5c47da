// The git identity of this machine: `git config --get user.name` and
// `user.email` in the project folder (its repository's setting, else the
// user's global one, as a commit made there would use). Only those two keys.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { withoutUndefined } from '../common/defined.js';

const run = promisify(execFile);

async function gitConfigGet(cwd: string, key: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['config', '--get', key], { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 });
    const value = stdout.replace(/\n$/, '');
    return value === '' ? undefined : value;
  } catch {
    // Unset (exit 1), or no git on this machine: nothing to copy.
    return undefined;
  }
}

export async function localGitIdentity(cwd: string, env: NodeJS.ProcessEnv): Promise<{ name?: string; email?: string }> {
  const [name, email] = await Promise.all([gitConfigGet(cwd, 'user.name', env), gitConfigGet(cwd, 'user.email', env)]);
  return withoutUndefined({ name, email });
}
