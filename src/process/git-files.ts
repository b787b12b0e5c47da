// What git would carry from a project folder: the file list the workspace
// upload sends when the project is in a git work tree. Runs the real `git`
// (an argv, never a shell string).

import { execFile } from 'node:child_process';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { OperationError, errorMessage, systemErrorCode } from '../common/errors.js';

const run = promisify(execFile);

function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** True when `folder` or a folder above it has a `.git` (a work tree, whatever git says of it). */
async function insideGitWorkTree(folder: string): Promise<boolean> {
  for (let dir = path.resolve(folder); ; dir = path.dirname(dir)) {
    if (await exists(path.join(dir, '.git'))) return true;
    if (path.dirname(dir) === dir) return false;
  }
}

function gitNeeded(projectPath: string, why: string, hint: string): OperationError {
  return new OperationError('E_GIT_FAILED', `${projectPath} is in a git repository, but git could not list its files: ${why}`, {
    hint: `${hint} (Without git's list pks would upload everything, ignored files such as .env included; --include-ignored does that on purpose.)`,
  });
}

/** What git carries in `folder`'s repository (below `folder` with `args` `-- .`), relative to `folder`. */
async function gitList(folder: string, args: string[] = []): Promise<string[]> {
  const listed = (await run('git', ['-C', folder, 'ls-files', '-z', '--cached', '--others', '--exclude-standard', ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })).stdout
    .split('\0')
    .filter((file) => file !== '');
  return expandRepositories(folder, [...new Set(listed)]);
}

/**
 * A submodule, or a repository nested untracked, is one path in its parent's
 * list: what it carries comes from its own git (its .gitignore applies), with
 * its .git so that git works there too. One git cannot list, its folder is
 * left as it is (walked).
 */
async function expandRepositories(folder: string, listed: string[]): Promise<string[]> {
  // Submodules are gitlinks (mode 160000), which need a .gitmodules; an
  // untracked nested repository is listed with a trailing slash. Files are
  // not looked at one by one.
  const gitlinks = new Set<string>();
  if (await exists(path.join(folder, '.gitmodules'))) {
    const staged = (await run('git', ['-C', folder, 'ls-files', '-z', '--stage'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })).stdout;
    for (const line of staged.split('\0')) if (line.startsWith('160000 ')) gitlinks.add(line.slice(line.indexOf('\t') + 1));
  }
  const out: string[] = [];
  const top = await realpath(folder).catch(() => path.resolve(folder));
  for (const entry of listed) {
    if (!entry.endsWith('/') && !gitlinks.has(entry)) {
      out.push(entry);
      continue;
    }
    const relative = entry.replace(/\/$/, '');
    const inner = path.join(folder, relative);
    // Reached through a symlinked folder (a submodule's folder replaced by a
    // link): git is not run there, and the upload sends nothing through it.
    const real = await realpath(inner).catch(() => undefined);
    if (real !== path.join(top, relative) || !(await exists(path.join(inner, '.git')))) {
      out.push(relative);
      continue;
    }
    const files = await gitList(inner).catch(() => undefined);
    if (files === undefined) out.push(relative);
    else out.push(`${relative}/.git`, ...files.map((file) => `${relative}/${file}`));
  }
  return out;
}

/**
 * The files git would carry — tracked plus untracked-not-ignored — and the
 * repository itself (.git), so that work inside the container can be
 * committed. Undefined for a folder that is not in a git work tree. When git
 * is missing or refuses the repository (dubious ownership, ...), an error:
 * falling back to every file would upload what .gitignore keeps out.
 */
export async function gitFiles(projectPath: string): Promise<string[] | undefined> {
  const list = (args: string[]) => gitList(projectPath, args);
  let top: string;
  try {
    top = (await run('git', ['-C', projectPath, 'rev-parse', '--show-toplevel'], { encoding: 'utf8' })).stdout.trim();
  } catch (error) {
    if (!(await insideGitWorkTree(projectPath))) return undefined;
    if (systemErrorCode(error) === 'ENOENT') throw gitNeeded(projectPath, 'git is not installed (or not on PATH).', 'Install git');
    const said = (error as { stderr?: string }).stderr?.trim().split('\n').find((line) => line.startsWith('fatal:')) ?? errorMessage(error);
    throw gitNeeded(projectPath, said, /dubious ownership/.test(said) ? 'Trust it as git says (git config --global --add safe.directory <path>)' : 'Fix what git says');
  }
  // Real paths on both sides: a project reached through a symlink is still the top.
  if ((await realpath(top).catch(() => top)) !== (await realpath(projectPath).catch(() => path.resolve(projectPath)))) {
    // A sub-folder of a repository: git's view still applies, without .git.
    return [...new Set(await list(['--', '.']))];
  }
  return [...new Set(await list([])), '.git'];
}
