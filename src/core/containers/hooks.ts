// Lifecycle hooks in the spec's order, run inside the container as the remote
// user with remoteEnv. The create-time hooks run once per container: a marker
// file (written as root, outside the workspace) survives restarts, and a
// rebuilt container starts without one, so they run again there.

import { ExitCode, OperationError, PksError } from '../../common/errors.js';
// Straight from the modules, not the devcontainer/ index: every lifecycle
// command comes through here, and the index loads the whole config engine.
import type { LifecycleCommand } from '../../devcontainer/config-schema.js';
import { METADATA_LABEL, parseMetadataLabel, type LifecycleHook } from '../../devcontainer/image-metadata.js';
import { mergeConfiguration, type MergedDevcontainerConfig } from '../../devcontainer/merge.js';
import { substituteContainerEnv } from '../../devcontainer/substitute.js';
import type { EngineClient } from '../../engine/index.js';
import { execCapture } from './exec.js';
import { WRAPPER_NAME, exitReportEnd, exitReportStart, isStatusFile, withExitReport, statusFileFor, unwrapReporting } from './exit-report.js';
import { readContainerFile } from '../spawn/container-files.js';
import { hookRecordsWritten, recordHookRun } from './hook-run-records.js';
import { execEnded, runningExecs } from './running-execs.js';

export type HookPhase = 'create' | 'start' | 'attach';

/** The hooks that run once per container, in the spec's order. */
export const CREATE_HOOKS = ['onCreateCommand', 'updateContentCommand', 'postCreateCommand'] as const;
const MARKER_DIR = '/var/lib/pks/hooks';
/** Lines of a failing hook's output shown in the error. */
const TAIL_LINES = 20;

export type HookEvent =
  | { type: 'hook-start'; hook: LifecycleHook; command: string }
  | { type: 'hook-skip'; hook: LifecycleHook; reason: string }
  /** A run of the hook by an earlier pks (killed meanwhile) is still running: waiting for it. */
  | { type: 'hook-wait'; hook: LifecycleHook; command: string; message: string }
  | { type: 'hook-end'; hook: LifecycleHook; durationMs: number }
  | { type: 'hook-output'; hook: LifecycleHook; stream: 'stdout' | 'stderr'; text: string };

export interface HookTarget {
  engine: EngineClient;
  containerId: string;
  /** For the hints of a failure (`pks devcontainer logs <name>`). */
  containerName: string;
  remoteUser?: string | undefined;
  workspaceFolder: string;
  /** remoteEnv, `${containerEnv:…}` not yet resolved; null unsets. */
  remoteEnv: Readonly<Record<string, string | null>>;
  /** The container's own environment (Config.Env), for `${containerEnv:…}`. */
  containerEnv: Readonly<Record<string, string>>;
  onEvent?: ((event: HookEvent) => void) | undefined;
  /** Extra words for the failure hint, e.g. ` --remote r1`. */
  remoteFlag?: string | undefined;
  /**
   * Ctrl-C: stop waiting for the hook. The engine cannot stop an exec'd
   * process, so it runs on in the container; pks writes no marker for it (a
   * root hook's own process still does if it finishes), so the next spawn
   * runs the hook again unless it finished meanwhile.
   */
  signal?: AbortSignal | undefined;
}

const COMMANDS_OF: Record<LifecycleHook, keyof MergedDevcontainerConfig> = {
  onCreateCommand: 'onCreateCommands',
  updateContentCommand: 'updateContentCommands',
  postCreateCommand: 'postCreateCommands',
  postStartCommand: 'postStartCommands',
  postAttachCommand: 'postAttachCommands',
};

export function hookCommands(merged: MergedDevcontainerConfig, hook: LifecycleHook): LifecycleCommand[] {
  return merged[COMMANDS_OF[hook]] as LifecycleCommand[];
}

/** The merged configuration recorded on a container (its devcontainer.metadata label). */
export function mergedFromLabels(labels: Readonly<Record<string, string>>): MergedDevcontainerConfig {
  return mergeConfiguration({}, parseMetadataLabel(labels[METADATA_LABEL]).entries);
}

/** argv lists for one lifecycle command: a string runs in /bin/sh, an object's entries run in parallel. */
export function commandArgvs(command: LifecycleCommand): Array<{ label: string; argv: string[] }> {
  if (typeof command === 'string') return [{ label: command, argv: ['/bin/sh', '-c', command] }];
  if (Array.isArray(command)) return [{ label: command.join(' '), argv: [...command] }];
  return Object.entries(command).flatMap(([name, value]) =>
    commandArgvs(value as LifecycleCommand).map((item) => ({ ...item, label: `${name}: ${item.label}` })),
  );
}

/** Which of `hooks` already ran in this container: one exec for all of them. */
async function doneHooks(target: HookTarget, hooks: readonly LifecycleHook[]): Promise<Set<string>> {
  if (hooks.length === 0) return new Set();
  const probe = await execCapture(target.engine, target.containerId, {
    cmd: ['/bin/sh', '-c', 'dir="$1"; shift; for hook; do [ -e "$dir/$hook" ] && echo "$hook"; done; exit 0', 'pks-markers', MARKER_DIR, ...hooks],
    user: 'root',
  });
  return new Set(probe.stdout.split('\n').filter((line) => line !== ''));
}

async function setMarker(target: HookTarget, hook: LifecycleHook): Promise<void> {
  await execCapture(target.engine, target.containerId, {
    cmd: ['/bin/sh', '-c', 'mkdir -p "$1" && : > "$1/$2"', 'pks-marker', MARKER_DIR, hook],
    user: 'root',
  });
}

/** Whether hooks run as root: no user (the engine's default), or root by name or id, with any group. */
function runsAsRoot(target: HookTarget): boolean {
  const user = target.remoteUser?.split(':')[0];
  return user === undefined || user === 'root' || user === '0';
}

/** The marker wrapper's script: the command, its marker if it succeeded, then its exit report (exit-report.ts). */
const MARKER_SCRIPT = `dir="$1"; hook="$2"; f="$3"; shift 3; ${exitReportStart('$f')}; "$@"; s=$?; if [ "$s" = 0 ]; then mkdir -p "$dir" && : > "$dir/$hook"; fi; ${exitReportEnd('$f')}`;

/**
 * `argv` followed, in the same process and only if it succeeds, by the
 * hook's marker: for hooks that run as root, this saves the marker's own
 * exec (each exec costs the engine ~50 ms). The command's exit code is
 * passed on, and reported (exit-report.ts); the marker is written as
 * setMarker writes it (a failure to write it is not the hook's failure).
 */
function recordingMarker(hook: LifecycleHook, argv: readonly string[]): string[] {
  return ['/bin/sh', '-c', MARKER_SCRIPT, WRAPPER_NAME, MARKER_DIR, hook, statusFileFor(hook, argv), ...argv];
}

/** The marker wrapper as pks wrote it before the exit report: an earlier pks's hook may still run so. */
const MARKER_SCRIPT_BEFORE = 'dir="$1"; hook="$2"; shift 2; "$@" || exit; mkdir -p "$dir" && : > "$dir/$hook"; exit 0';

/** A command run by /bin/sh already (a string hook): the same, in a shell that reports its exit code. */
function runsInShell(argv: readonly string[]): boolean {
  return argv[0] === '/bin/sh' && argv[1] === '-c';
}

/** What pks execs for a hook's command: followed by its marker, in a shell that reports its exit code (a string hook), or as it is. */
function hookExec(hook: LifecycleHook, argv: readonly string[], marked: boolean): { cmd: string[]; reports: boolean } {
  if (marked) return { cmd: recordingMarker(hook, argv), reports: true };
  if (runsInShell(argv)) return { cmd: withExitReport(argv, statusFileFor(hook, argv)), reports: true };
  return { cmd: [...argv], reports: false };
}

/**
 * The hook command a running exec runs, from its command line as pks
 * execs hooks (as it is, in the reporting wrapper, or followed by the
 * marker, now or as an earlier pks did), with the status file its wrapper
 * writes, if any.
 */
function hookCommandOf(argv: readonly string[]): { argv: string[]; statusFile?: string | undefined } {
  const reporting = unwrapReporting(argv);
  if (reporting !== undefined) return reporting;
  const [sh, c, script, name, dir, , third, ...rest] = argv;
  if (sh === '/bin/sh' && c === '-c' && name === WRAPPER_NAME && dir === MARKER_DIR) {
    if (script === MARKER_SCRIPT && isStatusFile(third)) return { argv: rest, statusFile: third };
    if (script === MARKER_SCRIPT_BEFORE) return { argv: argv.slice(6) };
  }
  return { argv: [...argv] };
}

/** The exit code a wrapper wrote to its status file; undefined when there is none (or it cannot be read). */
async function statusFileCode(target: HookTarget, statusFile: string | undefined): Promise<number | undefined> {
  if (statusFile === undefined) return undefined;
  const data = await readContainerFile(target.engine, target.containerId, statusFile).catch(() => undefined);
  const text = data?.toString('utf8').trim();
  return text !== undefined && /^\d{1,3}$/.test(text) ? Number(text) : undefined;
}

/** remoteEnv resolved against the container's environment, as KEY=VALUE for an exec. */
export function hookEnv(target: HookTarget): string[] {
  const resolved = substituteContainerEnv(target.remoteEnv, target.containerEnv);
  return Object.entries(resolved)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([key, value]) => `${key}=${value}`);
}

/** `work`, or E_INTERRUPTED as soon as `signal` aborts (the work itself is left to finish or fail unheard). */
function untilInterrupted<T>(signal: AbortSignal | undefined, what: string, work: Promise<T>): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new PksError('E_INTERRUPTED', `Interrupted while ${what} was running.`, ExitCode.Interrupted));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

interface CommandFailure {
  label: string;
  exitCode: number;
  output: string;
}

/** One error for the commands of a hook that failed: each named once, with its exit code and last output. */
function hookFailed(target: HookTarget, hook: LifecycleHook, failures: readonly CommandFailure[]): OperationError {
  const remote = target.remoteFlag ?? '';
  const look = `pks devcontainer logs ${target.containerName}${remote}, pks devcontainer exec${remote} ${target.containerName} sh`;
  // A create-time hook fails a spawn (its container kept for a look); a
  // start or attach hook fails on a container that lives on.
  const createTime = (CREATE_HOOKS as readonly LifecycleHook[]).includes(hook);
  const details = failures.flatMap(({ label, output }) => {
    const tail = output.trimEnd().split('\n').slice(-TAIL_LINES);
    const heading = failures.length === 1 ? [] : [`${label}:`];
    return [...heading, ...(tail.length === 1 && tail[0] === '' ? ['(no output)'] : ['last output:', ...tail.map((line) => `  ${line}`)])];
  });
  const [only] = failures;
  const message =
    failures.length === 1 && only !== undefined
      ? `${hook} failed with exit code ${only.exitCode}: ${only.label}`
      : `${hook} failed: ${failures.length} of its commands exited with an error: ${failures.map(({ label, exitCode }) => `${label} (exit code ${exitCode})`).join('; ')}`;
  return new OperationError('E_HOOK_FAILED', message, {
    hint: createTime
      ? `The container ${target.containerName} was kept for inspection. Look: ${look}. Clean up: pks devcontainer rm ${target.containerName}${remote} --force --yes. See: pks devcontainer logs --hooks ${target.containerName}${remote}`
      : `The container ${target.containerName} runs on. Look: ${look}; fix the command in devcontainer.json. See: pks devcontainer logs --hooks ${target.containerName}${remote}`,
    details,
  });
}

/**
 * Runs one command of a hook; what failed, if it did. A command run by a
 * shell anyway (a string, or one followed by its marker) reports its exit
 * code in its output: no exec inspect after it.
 */
async function runCommand(target: HookTarget, hook: LifecycleHook, label: string, argv: string[], marked = false): Promise<CommandFailure | undefined> {
  target.onEvent?.({ type: 'hook-start', hook, command: label });
  const started = performance.now();
  const startedAt = new Date().toISOString();
  let output = '';
  const { cmd, reports } = hookExec(hook, argv, marked);
  const result = await untilInterrupted(target.signal, `${hook} (${label})`, execCapture(target.engine, target.containerId, {
    cmd,
    exitReport: reports,
    workdir: target.workspaceFolder,
    env: hookEnv(target),
    user: target.remoteUser,
    onOutput: (text, stream) => {
      output += text;
      target.onEvent?.({ type: 'hook-output', hook, stream, text });
    },
  }));
  recordHookRun(target, hook, { command: label, exitCode: result.exitCode, startedAt, durationMs: Math.round(performance.now() - started), output });
  if (result.exitCode !== 0) return { label, exitCode: result.exitCode, output };
  target.onEvent?.({ type: 'hook-end', hook, durationMs: Math.round(performance.now() - started) });
  return undefined;
}

async function runHook(target: HookTarget, hook: LifecycleHook, commands: readonly LifecycleCommand[]): Promise<void> {
  for (const command of commands) {
    // An object's entries run in parallel; the hook fails if any of them
    // does. All are waited for, so that every failure is reported, each once.
    const settled = await Promise.allSettled(commandArgvs(command).map(({ label, argv }) => runCommand(target, hook, label, argv)));
    const broken = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (broken !== undefined) throw broken.reason;
    const failures = settled.flatMap((outcome) => (outcome.status === 'fulfilled' && outcome.value !== undefined ? [outcome.value] : []));
    if (failures.length > 0) throw hookFailed(target, hook, failures);
  }
}

/**
 * Where each create-time hook in `hooks` resumes, after waiting for its
 * commands an earlier pks started and that still run in the container (that
 * pks was killed, or lost its connection): not running them a second time at
 * once. A command group that all ran to success is not run again; a hook
 * whose last group did is complete. Hooks with nothing running are absent.
 */
async function waitForEarlierRuns(target: HookTarget, merged: MergedDevcontainerConfig, hooks: readonly LifecycleHook[]): Promise<Map<LifecycleHook, number>> {
  // Each command as pks execs it: plain, reporting its exit code, or followed by the marker.
  const known = new Map<string, { hook: LifecycleHook; index: number; label: string; group: number }>();
  for (const hook of hooks) {
    hookCommands(merged, hook).forEach((command, index) => {
      const group = commandArgvs(command);
      for (const { label, argv } of group) {
        known.set(JSON.stringify(argv), { hook, index, label, group: group.length });
      }
    });
  }
  const earlier = (await runningExecs(target.engine, target.containerId)).flatMap((exec) => {
    const command = hookCommandOf(exec.argv);
    const ref = known.get(JSON.stringify(command.argv));
    return ref === undefined ? [] : [{ ...ref, id: exec.id, statusFile: command.statusFile }];
  });
  const resume = new Map<LifecycleHook, number>();
  if (earlier.length === 0) return resume;
  for (const { hook, label } of earlier) {
    const message = `${hook} (${label}), started by an earlier run of pks, is still running in the container: waiting for it to end rather than starting it again (Ctrl-C stops waiting; it goes on).`;
    target.onEvent?.({ type: 'hook-wait', hook, command: label, message });
  }
  const codes = await untilInterrupted(
    target.signal,
    `the earlier run of ${earlier[0]?.hook ?? 'a hook'}`,
    Promise.all(
      earlier.map(async (exec) => {
        const code = await execEnded(target.engine, exec.id, target.signal);
        // Docker records 126 for an exec that wrote output after its attach
        // was gone (the wrapper's report, once that pks was killed): the
        // wrapper's status file has the command's own code.
        return code === 126 ? ((await statusFileCode(target, exec.statusFile)) ?? code) : code;
      }),
    ),
  );
  for (const hook of hooks) {
    const runs = earlier.flatMap((exec, i) => (exec.hook === hook ? [{ ...exec, code: codes[i] }] : []));
    const [first] = runs;
    if (first === undefined) continue;
    // Commands run in order: the one still running is where that run was.
    const finished = runs.length === first.group && runs.every((run) => run.code === 0);
    resume.set(hook, finished ? first.index + 1 : first.index);
  }
  return resume;
}

/** A create-time hook, then its marker: with its last command when that is one process run as root, else in an exec of its own. */
async function runOnceHook(target: HookTarget, hook: LifecycleHook, commands: readonly LifecycleCommand[]): Promise<void> {
  const last = commands.length === 0 ? [] : commandArgvs(commands[commands.length - 1] as LifecycleCommand);
  const [only] = last;
  if (last.length !== 1 || only === undefined || !runsAsRoot(target)) {
    await runHook(target, hook, commands);
    await setMarker(target, hook);
    return;
  }
  await runHook(target, hook, commands.slice(0, -1));
  const failure = await runCommand(target, hook, only.label, only.argv, true);
  if (failure !== undefined) throw hookFailed(target, hook, [failure]);
}

export interface HookRunOptions {
  /** The container was created by this run: it has no markers to look for. */
  freshContainer?: boolean;
  /** `create` only: false leaves postStartCommand out. */
  postStart?: boolean;
  /**
   * Called once, when the hook the configuration's `waitFor` names
   * (default updateContentCommand) is done — run, skipped or empty — and
   * before the hooks after it: the spec's point from which a tool may
   * connect. Not called if a hook up to there fails.
   */
  onReady?: (() => Promise<void> | void) | undefined;
  /** `create` only: run after postCreateCommand, before postStartCommand (the dotfiles' turn in the spec's order). */
  afterCreate?: (() => Promise<void>) | undefined;
}

/** The hooks in the order `waitFor` counts them. */
const WAIT_ORDER = ['initializeCommand', ...CREATE_HOOKS, 'postStartCommand'] as const;

/**
 * Runs the hooks of a phase: `create` (onCreate, updateContent, postCreate —
 * each once per container, so a spawn that died half-way finishes them on
 * the next run — then postStart unless `postStart: false`), `start`
 * (postStart) or `attach` (postAttach).
 */
export async function runLifecycleHooks(target: HookTarget, merged: MergedDevcontainerConfig, phase: HookPhase, options: HookRunOptions = {}): Promise<void> {
  try {
    await runPhaseHooks(target, merged, phase, options);
  } finally {
    // The records were written alongside the hooks; the last one is waited for here.
    await hookRecordsWritten(target);
  }
}

async function runPhaseHooks(target: HookTarget, merged: MergedDevcontainerConfig, phase: HookPhase, options: HookRunOptions = {}): Promise<void> {
  const waitFor = WAIT_ORDER.find((hook) => hook === merged.waitFor) ?? 'updateContentCommand';
  let ready = false;
  const passed = async (hook: (typeof WAIT_ORDER)[number]): Promise<void> => {
    if (ready || WAIT_ORDER.indexOf(hook) < WAIT_ORDER.indexOf(waitFor)) return;
    ready = true;
    await options.onReady?.();
  };
  if (phase === 'create') {
    await passed('initializeCommand');
    const pending = CREATE_HOOKS.filter((hook) => hookCommands(merged, hook).length > 0);
    // A container created by this very run has no markers: no need to look.
    let done = options.freshContainer === true ? new Set<string>() : await doneHooks(target, pending);
    const unfinished = options.freshContainer === true ? [] : pending.filter((hook) => !done.has(hook));
    const resume = unfinished.length === 0 ? new Map<LifecycleHook, number>() : await waitForEarlierRuns(target, merged, unfinished);
    // A root hook's last command writes its marker as it ends.
    if (resume.size > 0) done = await doneHooks(target, pending);
    for (const hook of CREATE_HOOKS) {
      const commands = hookCommands(merged, hook).slice(resume.get(hook) ?? 0);
      if (done.has(hook)) {
        target.onEvent?.({ type: 'hook-skip', hook, reason: 'already ran in this container' });
      } else if (pending.includes(hook) && commands.length === 0) {
        target.onEvent?.({ type: 'hook-skip', hook, reason: 'an earlier run of pks ran it to the end' });
        await setMarker(target, hook);
      } else if (pending.includes(hook)) {
        await runOnceHook(target, hook, commands);
      }
      await passed(hook);
    }
    await options.afterCreate?.();
  }
  const postStart = phase === 'start' || (phase === 'create' && options.postStart !== false);
  if (postStart) await runHook(target, 'postStartCommand', hookCommands(merged, 'postStartCommand'));
  if (phase === 'attach') await runHook(target, 'postAttachCommand', hookCommands(merged, 'postAttachCommand'));
  await passed('postStartCommand');
}
