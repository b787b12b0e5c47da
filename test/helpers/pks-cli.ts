// Runs the built `pks` binary as a user would, with a private HOME and
// PKS_HOME per test so nothing touches the real ~/.pks or ~/.ssh.

import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './test-env.js';

export const pksBin = path.join(repoRoot, 'bin', 'pks.cjs');

/** The local user name ($USER) every sandbox runs pks as. */
export const SANDBOX_USER = 'pks-e2e';

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

/**
 * Warm SSH connections in sandboxes: off (one connection per command, as
 * with --no-persist) unless PKS_TEST_PERSIST=1 runs the suite with them on;
 * then holders idle out after 30 s, and each exits within seconds once its
 * sandbox's PKS_HOME is removed. The tests of warm connections turn them on
 * themselves (test/e2e/warm-connection.test.ts).
 */
export const SANDBOX_PERSISTENCE: Record<string, string> =
  process.env.PKS_TEST_PERSIST === '1' ? { PKS_PERSIST_IDLE_SECONDS: '30' } : { PKS_NO_PERSIST: '1' };

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
    USER: SANDBOX_USER,
    ...SANDBOX_PERSISTENCE,
  };
  return {
    home,
    pksHome,
    env,
    run: (args, runOptions = {}) => runPks(args, { ...env, ...runOptions.env }, runOptions.input, runOptions.timeoutMs, runOptions.cwd),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * The sandboxes of one test file: `sandbox()` makes one (with the test
 * environment's known_hosts unless told otherwise), `cleanup()` — for
 * `after()` — removes them all. `knownHosts` is read when a sandbox is made,
 * so it may come from an environment loaded in `before()`.
 */
export function sandboxPool(knownHosts: () => string): { sandbox(withKnownHosts?: boolean): Promise<Sandbox>; cleanup(): Promise<void> } {
  const made: Sandbox[] = [];
  return {
    async sandbox(withKnownHosts = true) {
      const s = await createSandbox(withKnownHosts ? { knownHosts: knownHosts() } : {});
      made.push(s);
      return s;
    },
    cleanup: async () => {
      await Promise.all(made.map((s) => s.cleanup()));
    },
  };
}

export function runPks(args: string[], env: NodeJS.ProcessEnv, input?: string, timeoutMs = 60_000, cwd = repoRoot): Promise<PksResult> {
  return runProcess([process.execPath, pksBin, ...args], { env, cwd, timeoutMs, ...(input === undefined ? {} : { input }) }, `pks ${args.join(' ')}`);
}

/** Runs `argv` to its end with its output collected; killed (and rejected) after `timeoutMs`. */
export function runProcess(argv: string[], options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number; input?: string }, what = argv.join(' ')): Promise<PksResult> {
  return new Promise((resolve, reject) => {
    const [command = 'false', ...args] = argv;
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not finish within ${options.timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs);
    child.on('error', reject);
    // 'close', not 'exit': 'exit' can come before the last output has been read from the pipes.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** No stack trace lines (`    at fn (file:1:2)`) in a command's output. */
export const STACK_TRACE = /\n\s+at .+[:(]\d+:\d+\)?/;
