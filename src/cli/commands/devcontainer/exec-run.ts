// `pks devcontainer exec`: a process's streams between this terminal and a
// container. With a TTY the local terminal goes raw (every key
// to the container), follows the window size, and is restored however the
// session ends; without one stdout and stderr stay apart.

import type { ReadStream } from 'node:tty';
import { OperationError, UsageError } from '../../../common/errors.js';
import { inspectContainer, type ContainerInspect } from '../../../core/containers/container-info.js';
import { startExec, type ExecHandle } from '../../../core/containers/exec.js';
import { execSettings } from '../../../core/containers/exec-settings.js';
import { agentToForward, serveAgentFor } from '../../../core/containers/ssh-agent.js';
import { CommandExitStatus } from '../../command-exit.js';
import { openContainerTarget, type ContainerTarget } from '../../container-target.js';
import type { Context, TtyWritable } from '../../context.js';

export interface ExecFlags {
  remote?: string | undefined;
  interactive?: boolean | undefined;
  tty?: boolean | undefined;
  user?: string | undefined;
  workdir?: string | undefined;
  env: string[];
  /** false with --no-ssh-agent. */
  sshAgent?: boolean | undefined;
  /** Runs once the container is found running, before the command starts (`shell` forwards ports there). */
  beforeStart?: ((found: ContainerTarget, inspect: ContainerInspect) => Promise<void>) | undefined;
}

/**
 * Everything after the container is the command (as `docker exec`), so
 * commander hands over `exec box -- ls` as [box, --, ls]: that first `--` only
 * separates. `exec -- box ls` gives [box, ls]: when the first operand came
 * after the `--` on the command line, no container was named.
 */
export function splitExecOperands(
  container: string | undefined,
  operands: readonly string[],
  rawArgs: readonly string[] | undefined,
): { container: string | undefined; command: string[] } {
  const command = operands[0] === '--' ? operands.slice(1) : [...operands];
  const dash = rawArgs?.indexOf('--') ?? -1;
  if (container !== undefined && rawArgs !== undefined && dash >= 0 && rawArgs.length - dash - 1 === command.length + 1) {
    return { container: undefined, command: [container, ...command] };
  }
  return { container, command };
}

/** The whole command line as given to the root program (commander keeps it there only). */
export function rootArgs(command: { parent: unknown }): string[] | undefined {
  let current: unknown = command;
  while (typeof current === 'object' && current !== null && 'parent' in current && current.parent !== null && current.parent !== undefined) {
    current = current.parent;
  }
  const raw = typeof current === 'object' && current !== null && 'rawArgs' in current ? current.rawArgs : undefined;
  return Array.isArray(raw) && raw.every((arg) => typeof arg === 'string') ? (raw as string[]) : undefined;
}

type SizedWritable = TtyWritable & { rows?: number };

function terminalSize(stream: SizedWritable): { rows: number; cols: number } {
  return { rows: stream.rows ?? 24, cols: stream.columns ?? 80 };
}

export async function runExec(ctx: Context, containerArg: string | undefined, commandArgs: readonly string[], flags: ExecFlags, rawArgs?: readonly string[]): Promise<void> {
  const { container: query, command } = splitExecOperands(containerArg, commandArgs, rawArgs);
  const [first] = commandArgs;
  // `exec box --user root id`: as with docker exec, an option after the
  // container is the command's, and no program is named "--user"; it was
  // meant for pks (`exec box -- --x` still runs "--x").
  if (query !== undefined && first !== undefined && first.startsWith('-') && first !== '--') {
    throw new UsageError(`${first} comes after the container ${query}, so it would be the command to run.`, {
      hint: `Put pks's options before the container: pks devcontainer exec ${first} … ${query} <command> (everything after the container is the command's).`,
    });
  }
  if (command.length === 0) {
    throw new UsageError('No command to run.', {
      code: 'E_NO_COMMAND',
      hint: 'Put the command after --: pks devcontainer exec [container] -- <command> [args...] (pks devcontainer shell opens a shell).',
    });
  }
  const interactive = flags.interactive === true;
  const stdinIsTty = ctx.stdin.isTTY === true;
  if (flags.tty === true && interactive && !stdinIsTty) {
    throw new UsageError('-it needs a terminal on stdin, and stdin is not one.', { code: 'E_NOT_A_TTY', hint: 'Drop -t to pipe input through (-i alone).' });
  }
  const found = await openContainerTarget(ctx, query, flags.remote);
  const { engine } = found.target;
  const inspect = await inspectContainer(engine, found.container.containerId);
  if (!inspect.State.Running) {
    const name = found.container.name;
    throw new OperationError('E_CONTAINER_STOPPED', `The dev container ${name} is ${inspect.State.Status}: nothing can run in it.`, {
      hint: `Start it first: pks devcontainer start ${found.reference}${found.remoteFlag}`,
    });
  }
  await flags.beforeStart?.(found, inspect);
  const settings = execSettings(inspect, { user: flags.user, workdir: flags.workdir, env: flags.env });
  ctx.reporter.debug(`exec as ${settings.user ?? '(image default)'} in ${settings.workdir}`);

  const stdout = ctx.stdout as SizedWritable;
  const tty = flags.tty === true ? terminalSize(stdout.isTTY === true ? stdout : (ctx.stderr as SizedWritable)) : undefined;
  const raw = tty !== undefined && interactive && stdinIsTty ? (ctx.stdin as ReadStream) : undefined;
  let handle: ExecHandle | undefined;
  const onResize = (): void => {
    const size = terminalSize(stdout);
    void handle?.resize(size.rows, size.cols);
  };
  // Served while the command runs (on a remote host, kept by its warm connection).
  const agent = await serveAgentFor(engine, inspect, await agentToForward(ctx.env, flags.sshAgent), (message) => ctx.reporter.warn(message));
  raw?.setRawMode(true);
  try {
    handle = await startExec(engine, found.container.containerId, {
      cmd: command,
      user: settings.user,
      workdir: settings.workdir,
      env: settings.env,
      tty,
      ...(interactive ? { stdin: ctx.stdin } : {}),
      stdout: ctx.stdout,
      stderr: ctx.stderr,
    });
    // tty.WriteStream emits 'resize' on SIGWINCH.
    if (tty !== undefined && stdout.isTTY === true) stdout.on('resize', onResize);
    const status = await handle.exitCode;
    if (status !== 0) throw new CommandExitStatus(status, command);
  } finally {
    stdout.off('resize', onResize);
    raw?.setRawMode(false);
    // A flowing stdin would keep pks alive after the command ended.
    if (interactive) ctx.stdin.pause();
    await agent?.close();
  }
}
