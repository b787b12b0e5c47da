// The process adapter (src/process): git's file list on real temporary
// repositories, made with the real `git`, and the command runner.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { gitFiles } from '../../src/process/git-files.js';
import { runCommand } from '../../src/process/run-command.js';

const root = mkdtempSync(path.join(tmpdir(), 'pks-process-adapter-'));
after(() => rmSync(root, { recursive: true, force: true }));

let folders = 0;
function folder(files: Record<string, string> = {}): string {
  const dir = path.join(root, `p${++folders}`);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=pks test', '-c', 'user.email=pks@example.invalid', '-c', 'init.defaultBranch=main', '-c', 'protocol.file.allow=always', ...args], { cwd, stdio: 'pipe' });
}

function repo(files: Record<string, string>, tracked: string[] = Object.keys(files)): string {
  const dir = folder(files);
  git(dir, 'init', '-q');
  if (tracked.length > 0) {
    git(dir, 'add', '--', ...tracked);
    git(dir, 'commit', '-q', '-m', 'init');
  }
  return dir;
}

const sorted = (files: string[] | undefined) => (files === undefined ? undefined : [...files].sort());

describe('gitFiles on real repositories', () => {
  it('is undefined for a folder that is not in a git work tree', async () => {
    assert.equal(await gitFiles(folder({ 'a.txt': 'a' })), undefined);
  });

  it('lists tracked and untracked files, leaves ignored ones out, and adds .git', async () => {
    const dir = repo({ '.gitignore': '.env\nbuild/\n', 'src/main.ts': 'x', 'README.md': 'r' });
    writeFileSync(path.join(dir, 'notes.txt'), 'untracked');
    writeFileSync(path.join(dir, '.env'), 'SECRET=1');
    mkdirSync(path.join(dir, 'build'));
    writeFileSync(path.join(dir, 'build', 'out.js'), 'o');
    assert.deepEqual(sorted(await gitFiles(dir)), ['.git', '.gitignore', 'README.md', 'notes.txt', 'src/main.ts']);
  });

  it('lists a sub-folder of a repository relative to it, without .git', async () => {
    const dir = repo({ '.gitignore': '*.log\n', 'api/index.ts': 'i', 'api/debug.log': 'd', 'web/app.ts': 'w' }, ['.gitignore', 'api/index.ts', 'web/app.ts']);
    assert.deepEqual(sorted(await gitFiles(path.join(dir, 'api'))), ['index.ts']);
  });

  it('treats a project reached through a symlink as the top of its repository', async () => {
    const dir = repo({ 'a.txt': 'a' });
    const link = path.join(root, `link${++folders}`);
    symlinkSync(dir, link);
    assert.deepEqual(sorted(await gitFiles(link)), ['.git', 'a.txt']);
  });

  it('expands an untracked nested repository with its own .gitignore and its .git', async () => {
    const dir = repo({ 'top.txt': 't' });
    const inner = path.join(dir, 'vendor', 'lib');
    mkdirSync(inner, { recursive: true });
    writeFileSync(path.join(inner, '.gitignore'), 'secret.txt\n');
    writeFileSync(path.join(inner, 'lib.ts'), 'l');
    writeFileSync(path.join(inner, 'secret.txt'), 's');
    git(inner, 'init', '-q');
    assert.deepEqual(sorted(await gitFiles(dir)), ['.git', 'top.txt', 'vendor/lib/.git', 'vendor/lib/.gitignore', 'vendor/lib/lib.ts']);
  });

  it('expands a submodule from its own git', async () => {
    const upstream = repo({ 'mod.ts': 'm', '.gitignore': 'cache/\n' });
    const dir = repo({ 'top.txt': 't' });
    git(dir, 'submodule', 'add', '-q', upstream, 'deps/mod');
    mkdirSync(path.join(dir, 'deps', 'mod', 'cache'));
    writeFileSync(path.join(dir, 'deps', 'mod', 'cache', 'c'), 'c');
    assert.deepEqual(sorted(await gitFiles(dir)), ['.git', '.gitmodules', 'deps/mod/.git', 'deps/mod/.gitignore', 'deps/mod/mod.ts', 'top.txt']);
  });

  it('fails with E_GIT_FAILED, naming the fix, when git is not on PATH inside a work tree', async () => {
    const dir = repo({ 'a.txt': 'a' });
    const saved = process.env.PATH;
    process.env.PATH = path.join(root, 'no-bin');
    try {
      await assert.rejects(gitFiles(dir), (error: unknown) => {
        assert.ok(isPksError(error));
        assert.equal(error.code, 'E_GIT_FAILED');
        assert.match(error.message, /git is not installed/);
        assert.match(error.hint ?? '', /Install git.*--include-ignored/);
        return true;
      });
    } finally {
      process.env.PATH = saved;
    }
  });

  it('fails with E_GIT_FAILED quoting git when git refuses the repository', async () => {
    const dir = repo({ 'a.txt': 'a' });
    writeFileSync(path.join(dir, '.git', 'HEAD'), 'not a ref\n');
    await assert.rejects(gitFiles(dir), (error: unknown) => isPksError(error) && error.code === 'E_GIT_FAILED' && /could not list its files: fatal:/.test(error.message));
  });
});

describe('runCommand', () => {
  it('runs an argv in the folder given, passes its output on and resolves with its exit code', async () => {
    const dir = folder();
    let output = '';
    const code = await runCommand(['/bin/sh', '-c', 'pwd; echo "$PKS_TEST_VALUE" >&2; exit 3'], { cwd: dir, env: { PKS_TEST_VALUE: 'a b;c', PATH: process.env.PATH }, onOutput: (text) => (output += text) });
    assert.equal(code, 3);
    assert.match(output, new RegExp(`^${dir}$`, 'm'));
    assert.match(output, /^a b;c$/m);
  });

  it('passes arguments as they are, with no shell in between', async () => {
    let output = '';
    const code = await runCommand(['printf', '%s|', '$HOME', '*', 'a b'], { cwd: folder(), env: { PATH: process.env.PATH }, onOutput: (text) => (output += text) });
    assert.equal(code, 0);
    assert.equal(output, '$HOME|*|a b|');
  });

  it('rejects when the command cannot start', async () => {
    await assert.rejects(runCommand(['pks-no-such-command'], { cwd: folder(), env: { PATH: process.env.PATH }, onOutput: () => undefined }), /ENOENT/);
  });

  it('ends the command when the signal is aborted', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const running = runCommand(['sleep', '30'], { cwd: folder(), env: { PATH: process.env.PATH }, signal: stop.signal, onOutput: () => undefined });
    setTimeout(() => stop.abort(), 100);
    await assert.rejects(running, { name: 'AbortError' });
    assert.ok(Date.now() - started < 10_000);
  });
});
