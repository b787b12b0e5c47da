// Faults on the test environment's fault host pks-r3 (and only there: tests on
// r1, r2 and the local engine run at the same time): cut its link, kill its
// sshd, stop its engine — and `scripts/test-env.sh up`, which repairs all of
// that in a few seconds. Plus a way to run pks and inject a fault when its
// output reaches a given point, timing how long pks takes to give up.

import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { EngineClient } from '../../src/engine/index.js';
import { STACK_TRACE, createSandbox, pksBin, type Sandbox } from './pks-cli.js';
import { leftovers } from './projects.js';
import { loadTestEnv, repoRoot, type RemoteHostEnv, type TestEnv } from './test-env.js';
import { poll } from './wait.js';

const run = promisify(execFile);

/** Where the r3 fault suites take turns (node runs test files in parallel). */
const LOCK_FILE = '/run/pks-test/r3-faults.lock';

/**
 * Holds an exclusive lock on the fault host until the returned function is
 * called (or this process dies: the lock belongs to a child whose stdin is
 * ours), so two fault suites never break r3 under each other.
 */
export async function holdFaultHost(): Promise<() => Promise<void>> {
  await mkdir(path.dirname(LOCK_FILE), { recursive: true });
  const holder: ChildProcessWithoutNullStreams = spawn('flock', [LOCK_FILE, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: 'pipe' });
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.once('error', reject);
    holder.once('exit', (code) => reject(new Error(`flock ${LOCK_FILE} exited with ${code}`)));
  });
  return async () => {
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.stdin.end();
    await exited;
  };
}

/** SIGKILL, unless the process is already gone. */
function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * The start of a fault suite: the faults lock taken, r3 repaired from
 * whatever an earlier run left broken, a sandbox with the given hosts
 * registered (by their test-env names).
 */
export async function openFaultSuite(hosts: ReadonlyArray<'r1' | 'r2' | 'r3'>, prepare?: (sandbox: Sandbox, env: TestEnv) => Promise<void>): Promise<{ env: TestEnv; sandbox: Sandbox; faults: FaultHost; release: () => Promise<void> }> {
  const env = loadTestEnv();
  const release = await holdFaultHost();
  const faults = new FaultHost(env.r3);
  await faults.repair();
  const sandbox = await createSandbox({ knownHosts: env.knownHosts });
  await prepare?.(sandbox, env);
  for (const where of hosts) {
    const host = env[where];
    const added = await sandbox.run(['remote', 'add', where, '--host', host.host, '--user', host.user, '--key', host.key, '--no-test']);
    assert.equal(added.code, 0, added.stderr);
  }
  return { env, sandbox, faults, release };
}

export class FaultHost {
  constructor(readonly host: RemoteHostEnv) {}

  /** `ip link set pks-r3-h down`: the host vanishes; packets to it are dropped here. */
  async cutLink(): Promise<void> {
    await run('ip', ['link', 'set', this.host.link, 'down']);
  }

  /**
   * Kills the host's sshd and every session it forked (the listener alone
   * keeps sessions alive). The listener goes first, so a client that sees its
   * session drop cannot log in again before the kill is complete; then every
   * sshd left in the namespace, again and again until none is left.
   */
  async killSshd(): Promise<void> {
    const listener = Number((await readFile(this.host.sshdPidFile, 'utf8')).trim());
    killIfAlive(listener);
    for (let round = 0; round < 50; round++) {
      const left = await this.sshdPids();
      if (left.length === 0) return;
      for (const pid of left) killIfAlive(pid);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`sshd processes in ${this.host.netns} survived SIGKILL: ${(await this.sshdPids()).join(' ')}`);
  }

  private async sshdPids(): Promise<number[]> {
    const { stdout } = await run('ip', ['netns', 'pids', this.host.netns]);
    const pids: number[] = [];
    for (const pid of stdout.split('\n').filter((line) => line !== '')) {
      const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
      if (comm.trim() === 'sshd') pids.push(Number(pid));
    }
    return pids;
  }

  /** Kills the host's dockerd: SSH stays up with nothing behind the Docker socket. */
  async stopEngine(): Promise<void> {
    const pid = Number((await readFile(this.host.enginePidFile, 'utf8')).trim());
    process.kill(pid, 'SIGKILL');
    const gone = (): boolean => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    await poll(gone, { timeoutMs: 5_000, intervalMs: 100 });
  }

  /** Brings everything back (link up, neighbours flushed, sshd and engine restarted); returns the ms it took. */
  async repair(): Promise<number> {
    return this.testEnv(['up']);
  }

  /** Brings back only this host's link, engine and sshd: seconds sooner than repair() on a busy machine. */
  async repairHost(): Promise<number> {
    return this.testEnv(['up-host', this.host.netns.replace(/^pks-/, '')]);
  }

  private async testEnv(args: string[]): Promise<number> {
    const started = performance.now();
    await run('bash', [path.join(repoRoot, 'scripts', 'test-env.sh'), ...args], { maxBuffer: 16 * 1024 * 1024 });
    return performance.now() - started;
  }
}

/** ~/.ssh/config for the sandbox: short liveness settings so a dead link is noticed in seconds. */
export async function writeFastSshConfig(sandbox: Sandbox, env: TestEnv): Promise<void> {
  const config = ['ServerAliveInterval 2', 'ServerAliveCountMax 3', 'ConnectTimeout 5'];
  await writeFile(path.join(sandbox.home, '.ssh', 'config'), `Host ${env.r3.host}\n${config.map((line) => `  ${line}\n`).join('')}`, { mode: 0o600 });
}

export interface FaultRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From the fault (or the signal) to pks's exit; undefined when no fault was injected. */
  msToExit: number | undefined;
}

/**
 * Runs pks; when `when` first matches its output, runs `fault` (cut a link,
 * send SIGINT, ...) and times how long pks takes to exit after that. With
 * `when: 'before'` the fault comes first and the whole run is timed. A run
 * that outlives `timeoutMs` is killed and reported as a failure.
 */
export async function runWithFault(
  sandbox: Sandbox,
  args: string[],
  when: ((output: { stdout: string; stderr: string }) => boolean) | 'before',
  fault: (child: ChildProcessWithoutNullStreams) => Promise<void> | void,
  timeoutMs = 120_000,
): Promise<FaultRun> {
  let faultAt: number | undefined;
  if (when === 'before') {
    await fault(undefined as unknown as ChildProcessWithoutNullStreams);
    faultAt = performance.now();
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pksBin, ...args], { env: sandbox.env, cwd: repoRoot, stdio: 'pipe' });
    child.stdin.end();
    const output = { stdout: '', stderr: '' };
    const check = (): void => {
      if (faultAt !== undefined || when === 'before' || !when(output)) return;
      faultAt = performance.now();
      Promise.resolve(fault(child)).catch((error: unknown) => {
        child.kill('SIGKILL');
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    };
    child.stdout.on('data', (chunk: Buffer) => {
      output.stdout += chunk.toString();
      check();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString();
      check();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pks ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${output.stdout}\nstderr: ${output.stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ...output, msToExit: faultAt === undefined ? undefined : performance.now() - faultAt });
    });
  });
}

const containerList = z.array(z.looseObject({ Id: z.string() }));
const volumeList = z.looseObject({ Volumes: z.array(z.looseObject({ Name: z.string() })).nullable() });

/** Every container and volume on an engine (the fault host is the fault suites' own: nothing else creates there). */
export async function engineInventory(engine: EngineClient): Promise<{ containers: string[]; volumes: string[] }> {
  const containers = await engine.request({ path: '/containers/json', query: { all: 1 } }, containerList);
  const volumes = await engine.request({ path: '/volumes' }, volumeList);
  return { containers: containers.map((c) => c.Id).sort(), volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort() };
}

/** Waits until the engine holds exactly `expected` (an interrupted build's container goes away a moment later). */
export async function settledInventory(engine: EngineClient, expected: { containers: string[]; volumes: string[] }, timeoutMs = 15_000): Promise<{ containers: string[]; volumes: string[] }> {
  let now = await engineInventory(engine);
  await poll(async () => {
    now = await engineInventory(engine);
    return JSON.stringify(now) === JSON.stringify(expected);
  }, { timeoutMs, intervalMs: 250 });
  return now;
}

/** `42.1 s`, or `35 ms` below a second. */
export function seconds(ms: number | undefined): string {
  if (ms === undefined) return 'n/a';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** pks must give up within this long after a fault (the sandbox's ssh_config sets the liveness timers). */
export const FAIL_WITHIN_MS = 45_000;

/** Exit code, bounded time to fail, no stack trace, and the words the message must contain. */
export function assertFailedClearly(result: FaultRun, code: number, mustSay: readonly RegExp[]): void {
  const shown = `exit ${result.code} (${result.signal ?? 'no signal'}) after ${seconds(result.msToExit)}\nstderr: ${result.stderr}`;
  assert.equal(result.code, code, shown);
  assert.ok(result.msToExit !== undefined && result.msToExit <= FAIL_WITHIN_MS, `pks took ${seconds(result.msToExit)} to give up\n${shown}`);
  assert.doesNotMatch(result.stderr, STACK_TRACE, shown);
  assert.doesNotMatch(result.stderr, /unexpected internal error/, shown);
  for (const pattern of mustSay) assert.match(result.stderr, pattern, shown);
}

/**
 * What a failed spawn says it left behind is what the engine holds: nothing of
 * the project after "... removed", its container and volume after "could not
 * be removed: run the same command again to resume".
 */
export async function assertLeftAsSaid(engine: EngineClient, projectDir: string, stderr: string): Promise<'removed' | 'resumable' | 'nothing'> {
  const left = await leftovers(engine, projectDir);
  if (/could not be removed/.test(stderr)) {
    assert.match(stderr, /run the same command again to resume/);
    assert.equal(left.containers.length, 1, `the half-created container is left for the next run: ${JSON.stringify(left)}`);
    return 'resumable';
  }
  assert.deepEqual(left, { containers: [], volumes: [] }, `nothing may be left: ${stderr}`);
  return /removed/.test(stderr) ? 'removed' : 'nothing';
}
