// Projects and spawns shared by the spawn, connect, upload and latency
// benchmarks: a small project (image present, one postCreateCommand), a timed
// fresh spawn (`rm --force --yes --volumes` then `spawn`, as one figure, or the
// spawn alone after an untimed removal), and
// the per-phase timings spawn reports with `--format json`, to show where the
// time goes.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { devcontainerBin, formatMs, median, mustSucceed, pksBin, runTimed, type Timed } from './runner.js';

export async function smallProject(parent: string, name: string, image: string): Promise<string> {
  const dir = path.join(parent, name);
  await mkdir(path.join(dir, '.devcontainer'), { recursive: true });
  await writeFile(path.join(dir, '.devcontainer', 'devcontainer.json'), JSON.stringify({ image, postCreateCommand: 'echo created > /tmp/created' }));
  await writeFile(path.join(dir, 'README.md'), '# bench\n');
  return dir;
}

export function pks(env: NodeJS.ProcessEnv, args: string[], measureMemory = false): Promise<Timed> {
  return runTimed([process.execPath, pksBin, ...args], { env, measureMemory });
}

export const remoteArgs = (remote: string | undefined): string[] => (remote === undefined ? [] : ['--remote', remote]);

/** Per run, by variant: milliseconds by step (see `spawnSteps`). */
export type PhaseLog = Map<string, Array<Record<string, number>>>;

interface SpawnOutcome {
  containerName: string;
  timings: Record<string, number>;
}

export async function spawnOnce(env: NodeJS.ProcessEnv, dir: string, remote: string | undefined, extra: string[] = [], measureMemory = false): Promise<{ result: Timed; outcome: SpawnOutcome }> {
  const args = ['devcontainer', 'spawn', dir, '--no-launch', '--format', 'json', '--log-format', 'json', ...extra, ...remoteArgs(remote)];
  const result = await mustSucceed(`pks spawn ${path.basename(dir)}`, pks(env, args, measureMemory));
  return { result, outcome: JSON.parse(result.stdout) as SpawnOutcome };
}

/** The project's container only; its volumes stay. */
export async function removeContainer(env: NodeJS.ProcessEnv, dir: string, remote: string | undefined): Promise<Timed> {
  return pks(env, ['devcontainer', 'rm', path.basename(dir), '--force', '--yes', ...remoteArgs(remote)]);
}

export async function removeProject(env: NodeJS.ProcessEnv, dir: string, remote: string | undefined): Promise<Timed> {
  // The outcome is ignored: the first run has nothing to remove.
  return pks(env, ['devcontainer', 'rm', path.basename(dir), '--force', '--yes', '--volumes', ...remoteArgs(remote)]);
}

interface PhaseEvent {
  time: string;
  type?: string;
  phase?: string;
}

/**
 * Where one spawn process spent its wall time, from its `--log-format json`
 * events: before the first phase (Node, CLI, for a remote the SSH connection
 * is inside the first phases), each phase as spawn reports it, upload and
 * start together (they overlap), and after the last phase (summary, exit).
 */
export function spawnSteps(result: Timed, timings: Record<string, number>): Record<string, number> {
  const events = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as PhaseEvent)
    .filter((e) => e.type === 'phase-start' || e.type === 'phase-end');
  const at = (e: PhaseEvent | undefined): number => (e === undefined ? Number.NaN : Date.parse(e.time));
  const steps: Record<string, number> = { 'before first phase': at(events[0]) - result.startedAt, ...timings };
  const overlapped = events.filter((e) => e.phase === 'upload' || e.phase === 'start');
  if (overlapped.length > 0) steps['upload ∥ start (together)'] = at(overlapped.at(-1)) - at(overlapped[0]);
  steps['after last phase'] = result.endedAt - at(events.at(-1));
  steps['spawn process'] = result.ms;
  return steps;
}

/** `rm` then `spawn`, timed together; the steps go into `log` under `name`. */
export async function freshSpawn(env: NodeJS.ProcessEnv, dir: string, remote: string | undefined, log: PhaseLog, name: string): Promise<number> {
  const start = performance.now();
  const removed = await removeProject(env, dir, remote);
  const { result, outcome } = await spawnOnce(env, dir, remote);
  const total = performance.now() - start;
  log.set(name, [...(log.get(name) ?? []), { 'rm process': removed.ms, ...spawnSteps(result, outcome.timings) }]);
  return total;
}

/**
 * The spawn alone, timed, of a project removed beforehand (untimed, by the
 * caller: `removeProject`): a fresh spawn as a user sees it. The steps go
 * into `log` under `name`.
 */
export async function spawnAlone(env: NodeJS.ProcessEnv, dir: string, remote: string | undefined, log: PhaseLog, name: string): Promise<number> {
  const { result, outcome } = await spawnOnce(env, dir, remote);
  log.set(name, [...(log.get(name) ?? []), spawnSteps(result, outcome.timings)]);
  return result.ms;
}

/** The reference: `devcontainer up`, in the same clean environment as pks. */
export async function referenceUp(env: NodeJS.ProcessEnv, dir: string, extra: string[] = []): Promise<number> {
  return (await mustSucceed('devcontainer up', runTimed([devcontainerBin, 'up', '--workspace-folder', dir, ...extra], { env }))).ms;
}

/** Median of every step, one column per variant, as markdown lines; the first `warmup` runs of each are left out. */
export function phaseTable(log: PhaseLog, warmup = 1): string[] {
  const names = [...log.keys()];
  const runsOf = (name: string) => (log.get(name) ?? []).slice(warmup);
  const phases = [...new Set(names.flatMap((n) => runsOf(n).flatMap((run) => Object.keys(run))))];
  const lines = [`| step (median) | ${names.join(' | ')} |`, `| --- | ${names.map(() => '---').join(' | ')} |`];
  for (const phase of phases) {
    const cells = names.map((n) => {
      const values = runsOf(n).map((run) => run[phase]).filter((v): v is number => v !== undefined);
      return values.length === 0 ? '—' : formatMs(median(values));
    });
    lines.push(`| ${phase} | ${cells.join(' | ')} |`);
  }
  return lines;
}
