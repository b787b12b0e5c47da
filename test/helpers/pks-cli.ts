// Runs the built `pks` binary as a user would, with a private HOME and
// PKS_HOME per test so nothing touches the real ~/.pks or ~/.ssh.

import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './test-env.js';

export const pksBin = path.join(repoRoot, 'bin', 'pks.cjs');

export interface PksResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  home: string;
  pksHome: string;
  env: NodeJS.ProcessEnv;
  run(args: string[], options?: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string }): Promise<PksResult>;
  cleanup(): Promise<void>;
}

/** A fresh HOME (with ~/.ssh, optionally a known_hosts) and PKS_HOME. */
export async function createSandbox(options: { knownHosts?: string } = {}): Promise<Sandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'pks-e2e-'));
  const home = path.join(root, 'home');
  const pksHome = path.join(root, 'pks');
  await mkdir(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  if (options.knownHosts !== undefined) await copyFile(options.knownHosts, path.join(home, '.ssh', 'known_hosts'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    PKS_HOME: pksHome,
    USER: 'pks-e2e',
  };
  return {
    home,
    pksHome,
    env,
    run: (args, runOptions = {}) => runPks(args, { ...env, ...runOptions.env }, runOptions.input, runOptions.timeoutMs, runOptions.cwd),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** Runs the built binary; `launcher` goes before node (e.g. setpriv to run it as another user). */
export function runPks(args: string[], env: NodeJS.ProcessEnv, input?: string, timeoutMs = 60_000, cwd = repoRoot, launcher: string[] = []): Promise<PksResult> {
  return new Promise((resolve, reject) => {
    const [command = process.execPath, ...prefix] = [...launcher, process.execPath];
    const child = spawn(command, [...prefix, pksBin, ...args], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pks ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    // 'close', not 'exit': 'exit' can come before the last output has been read from the pipes.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** No stack trace lines (`    at fn (file:1:2)`) in a command's output. */
export const STACK_TRACE = /\n\s+at .+[:(]\d+:\d+\)?/;
