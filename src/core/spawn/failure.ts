// When spawn fails or is interrupted: what this run created is removed (when
// the engine can still be reached; cleanup.ts), and the error says which
// host, which step, and what was left behind — so that "run the same command
// again" is advice the user can trust. Spawn converges: a container left
// half-created is replaced (or waited for) and an unfinished upload is redone
// by the next run.

import type { ErrorCode } from '../../common/error-codes.js';
import { ExitCode, OperationError, PksError, isPksError } from '../../common/errors.js';
import { PassThrough } from 'node:stream';
import type { EngineClient } from '../../engine/index.js';
import type { ContainerInspect } from '../containers/container-info.js';
import { mergedFromLabels } from '../containers/hooks.js';
import { streamLogs } from '../containers/logs.js';
import type { SpawnPhase } from './types.js';

/** What a failed run leaves on the engine. */
export type SpawnAftermath =
  /** Nothing of this run exists on the engine (it failed before creating anything). */
  | { stage: 'nothing' }
  /** It had created things and tried to remove them. */
  | { stage: 'cleaned'; removed: string[]; notRemoved: string[]; reason?: string | undefined }
  /** The container exists and is kept; its upload (resumed) or lifecycle hooks did not all finish. */
  | { stage: 'ready'; container: string; pending: 'upload' | 'hooks' };

/** The connection broke while pks was using it. */
const LOSS_CODES: ReadonlySet<ErrorCode> = new Set(['E_SSH_DISCONNECTED', 'E_ENGINE_CONNECTION']);
/** The host or its engine could not be reached (any more). */
const UNREACHABLE_CODES: ReadonlySet<ErrorCode> = new Set([
  'E_SSH_UNREACHABLE',
  'E_SSH_HANDSHAKE',
  'E_SSH_CLOSED',
  'E_REMOTE_SOCKET',
  'E_ENGINE_UNREACHABLE',
  'E_ENGINE_TIMEOUT',
]);

function sentenceList(items: readonly string[]): string {
  const text = items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "What was left behind", as sentences. */
export function describeAftermath(aftermath: SpawnAftermath, interrupted: boolean): { text: string; resumable: boolean } {
  switch (aftermath.stage) {
    case 'nothing':
      return { text: interrupted ? 'Nothing had been created yet.' : 'Nothing of this run was left there.', resumable: false };
    case 'ready':
      return {
        text:
          aftermath.pending === 'hooks'
            ? `The container ${aftermath.container} is kept; its lifecycle hooks did not all finish: run the same command again to resume (it runs the ones that did not).` +
              (interrupted ? ' A hook that was running goes on inside the container until it ends; the next run waits for it rather than starting it again.' : '')
            : `The container ${aftermath.container} is kept; the workspace upload into it did not finish: run the same command again to resume.`,
        resumable: true,
      };
    case 'cleaned': {
      const parts: string[] = [];
      if (aftermath.removed.length > 0) parts.push(`${sentenceList(aftermath.removed)} ${aftermath.removed.length === 1 ? 'was' : 'were'} removed.`);
      if (aftermath.notRemoved.length > 0) {
        const why = aftermath.reason === undefined ? '' : ` (${aftermath.reason})`;
        parts.push(`${sentenceList(aftermath.notRemoved)} could not be removed${why}: run the same command again to resume.`);
      }
      return { text: parts.join(' '), resumable: aftermath.notRemoved.length > 0 };
    }
  }
}

/** Each step as a user would say it. */
const STEP_LABELS: Record<SpawnPhase, string> = {
  config: 'reading the configuration',
  initialize: 'running initializeCommand',
  prerequisites: 'checking the host',
  existing: 'looking for an existing container',
  image: 'preparing the image',
  volume: 'preparing the workspace volume',
  container: 'creating the container',
  upload: 'uploading the workspace',
  start: 'starting the container',
  hooks: 'running the lifecycle hooks',
};

/** `while uploading the workspace (upload step)` */
export function describeStep(step: SpawnPhase): string {
  return `while ${STEP_LABELS[step]} (${step} step)`;
}

export interface FailureContext {
  /** `remote host "r1" (dev@10.0.0.2)`, `the local engine`. */
  where: string;
  step: SpawnPhase;
  interrupted: boolean;
  aftermath: SpawnAftermath;
}

/**
 * The error spawn ends with. Ctrl-C becomes E_INTERRUPTED (exit 130, whatever
 * the aborted call threw); a broken or unreachable connection keeps its code
 * and hint but names the host, the step and what was left behind. Other
 * failures (a bad configuration, a failing hook) already say what happened.
 */
export function explainSpawnFailure(error: unknown, context: FailureContext): unknown {
  const { where, step, interrupted } = context;
  const left = describeAftermath(context.aftermath, interrupted);
  if (interrupted) {
    return new PksError('E_INTERRUPTED', `Interrupted on ${where} ${describeStep(step)}. ${left.text}`, ExitCode.Interrupted, {
      hint: left.resumable ? 'Run the same command again to resume.' : 'Run the same command again to spawn.',
      ...(isPksError(error) && error.code !== 'E_INTERRUPTED' ? { details: [`stopped: ${error.message}`] } : {}),
    });
  }
  if (!isPksError(error) || !(LOSS_CODES.has(error.code) || UNREACHABLE_CODES.has(error.code))) return error;
  const lead = `${LOSS_CODES.has(error.code) ? 'Lost the connection to' : 'Failed on'} ${where} ${describeStep(step)}`;
  return new OperationError(error.code, `${lead}: ${error.message.replace(/\.$/, '')}. ${left.text}`, {
    hint: left.resumable ? `Once ${where} can be reached again, run the same command: it resumes where this run stopped.` : error.hint,
    details: error.details,
    cause: error.cause,
  });
}

/** The last lines a container printed (stdout and stderr interleaved as they arrive), or none if they cannot be read. */
async function lastLogLines(engine: EngineClient, inspect: ContainerInspect, lines: number): Promise<string[]> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  try {
    await streamLogs(engine, inspect, { tail: lines, stdout: sink, stderr: sink });
  } catch {
    return [];
  }
  return Buffer.concat(chunks).toString('utf8').split('\n').filter((line) => line.trim() !== '').slice(-lines);
}

/**
 * The container stopped as soon as it started: its main process ended. With
 * overrideCommand off that is the image's own command (a shell without a
 * terminal exits at once); otherwise an entrypoint that failed.
 */
export async function containerExitedError(engine: EngineClient, inspect: ContainerInspect, remoteFlag: string): Promise<OperationError> {
  const name = inspect.Name.replace(/^\//, '');
  // The configuration it was made from is in its metadata label.
  const overrideCommand = mergedFromLabels(inspect.Config.Labels ?? {}).overrideCommand ?? true;
  const logs = await lastLogLines(engine, inspect, 5);
  const code = inspect.State.ExitCode;
  const printed = logs.length === 0 ? '' : ` Its last output:\n${logs.map((line) => `  ${line}`).join('\n')}`;
  return new OperationError('E_CONTAINER_EXITED', `The container ${name} stopped right after it started${code === undefined ? '' : ` (exit code ${code})`}; it is kept for inspection.${printed}`, {
    hint: overrideCommand
      ? `See what it printed: pks devcontainer logs ${name}${remoteFlag}; remove it with: pks devcontainer rm ${name}${remoteFlag} --force`
      : `With "overrideCommand": false the image's own command is the container's main process and must keep running (a shell exits at once without a terminal). Drop that setting, or give the image a long-running command; logs: pks devcontainer logs ${name}${remoteFlag}`,
  });
}

/**
 * `"init": true` on an engine that has no init binary: Podman looks for
 * catatonit (its `init_path`), which Debian's podman package only recommends
 * (tini, there with docker.io, satisfies the recommendation but is not used).
 * Undefined when the engine refused the create for another reason.
 */
export function initUnavailableError(engineMessage: string, target: string, cause: unknown): PksError | undefined {
  if (!/container-init binary not found|docker-init.*(not found|no such file)|catatonit/i.test(engineMessage)) return undefined;
  return new OperationError('E_INIT_UNAVAILABLE', `The engine (${target}) has no init process for the configuration's "init": true: ${engineMessage}`, {
    hint:
      'Install one on that host (Podman: the catatonit package, or init_path in containers.conf pointing at tini), ' +
      'or remove "init": true from devcontainer.json.',
    cause,
  });
}
