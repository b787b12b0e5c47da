// `pks doctor`: every check in one report — what this machine runs (Node.js,
// git, an editor), the local engine, each registered host (the same layered
// checks as `remote test`, all hosts at once), and the Include line VS Code
// needs for remote containers — each with the fix when it is not right.
// Exit 0 when nothing failed (warnings allowed), 1 otherwise.

import { spawnSync } from 'node:child_process';
import { OperationError, errorMessage, isPksError } from '../../../common/errors.js';
import { escapeControls } from '../../../common/terminal-text.js';
import { pksSshConfigPath, sshIncludeState } from '../../../core/remote/ssh-aliases.js';
import { describeEngineProduct, engineProduct, openLocalEngine } from '../../../engine/index.js';
import { composeCli } from '../../../process/compose-cli.js';
import { RemoteHostStore } from '../../../store/remote-host-store.js';
import type { Context } from '../../context.js';
import { findEditor } from '../../editor.js';
import { EDITORS } from '../../editors.js';
import type { OutputFormat } from '../../options.js';
import { present } from '../../present.js';
import { retryPolicy } from '../../retry-notices.js';
import { failedStep, runChecks } from '../remote/host-checks.js';

export interface DoctorFlags {
  remotes?: boolean;
  timeout?: number;
  format: OutputFormat;
}

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do, when the status is not ok. */
  fix?: string | undefined;
}

/** The Node.js versions pks supports: package.json's engines range (a unit test holds the two together). */
export function nodeSupported(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return (major === 20 && minor >= 19) || (major === 22 && minor >= 13) || major >= 24;
}
export const NODE_RANGE = '^20.19.0 || ^22.13.0 || >=24';

function nodeCheck(version: string): DoctorCheck {
  return nodeSupported(version)
    ? { name: 'node', status: 'ok', detail: `Node.js ${version}` }
    : { name: 'node', status: 'fail', detail: `Node.js ${version} is not supported (${NODE_RANGE})`, fix: 'Install a supported Node.js (20.19 or later 20.x, 22.13 or later 22.x, or 24+).' };
}

function gitCheck(ctx: Context): DoctorCheck {
  const result = spawnSync('git', ['--version'], { env: ctx.env, encoding: 'utf8', timeout: 5_000 });
  if (result.status === 0) return { name: 'git', status: 'ok', detail: result.stdout.trim() };
  return {
    name: 'git',
    status: 'warn',
    detail: 'git is not on PATH',
    fix: 'Install git: spawn uses it to upload only the files git would carry (without it, a repository cannot be spawned).',
  };
}

function editorCheck(ctx: Context): DoctorCheck {
  const editor = findEditor(ctx.env, undefined);
  if (editor !== undefined) return { name: 'editor', status: 'ok', detail: editor };
  return {
    name: 'editor',
    status: 'warn',
    detail: `none of ${EDITORS.join(', ')} is on PATH`,
    fix: 'Install VS Code (or a fork) and its `code` command on PATH, or use --no-launch / pks devcontainer shell.',
  };
}

/** Docker Compose, for configurations with dockerComposeFile: which one runs, and how it builds. */
async function composeCheck(ctx: Context): Promise<DoctorCheck> {
  try {
    return { name: 'compose', status: 'ok', detail: await composeCli(ctx.env).describe() };
  } catch (error) {
    return {
      name: 'compose',
      status: 'warn',
      detail: errorMessage(error),
      fix: 'Install Docker Compose (the docker CLI\'s compose plugin, or docker-compose) to spawn configurations with "dockerComposeFile"; nothing else needs it.',
    };
  }
}

async function localEngineCheck(ctx: Context): Promise<DoctorCheck> {
  const engine = await openLocalEngine(ctx.env, { retry: retryPolicy(ctx) });
  try {
    const version = await engine.version();
    return { name: 'local engine', status: 'ok', detail: `${describeEngineProduct(engineProduct(version))} (API ${version.ApiVersion}, ${version.Os}/${version.Arch})` };
  } catch (error) {
    // Without a local engine, remote hosts still work: a warning, with the engine's own hint.
    return {
      name: 'local engine',
      status: 'warn',
      detail: errorMessage(error),
      fix: isPksError(error) && error.hint !== undefined ? error.hint : 'Start Docker, or use registered remote hosts with --remote.',
    };
  } finally {
    await engine.close();
  }
}

async function hostChecks(ctx: Context, flags: DoctorFlags): Promise<DoctorCheck[]> {
  const hosts = await RemoteHostStore.fromEnv(ctx.env).list();
  if (hosts.length === 0) return [];
  const checks = await Promise.all(
    hosts.map(async (entry): Promise<DoctorCheck> => {
      const name = `remote ${entry.id}`;
      try {
        const result = await runChecks(ctx, entry, { timeout: flags.timeout ?? 10 });
        const failed = failedStep(result);
        if (failed !== undefined) return { name, status: 'fail', detail: `${failed.title}: ${failed.detail}`, fix: failed.hint ?? `pks remote test ${entry.id} --verbose` };
        const warned = result.steps.find((step) => step.status === 'warn');
        if (warned !== undefined) return { name, status: 'warn', detail: `${warned.title}: ${warned.detail}`, fix: warned.hint };
        return { name, status: 'ok', detail: result.steps.map((step) => step.title).join(', ') };
      } catch (error) {
        return { name, status: 'fail', detail: errorMessage(error), fix: isPksError(error) && error.hint !== undefined ? error.hint : `pks remote test ${entry.id} --verbose` };
      }
    }),
  );
  return [...checks, await includeCheck(ctx)];
}

/** VS Code reaches a remote host's containers through the aliases in ~/.pks/ssh_config: ~/.ssh/config must include it. */
async function includeCheck(ctx: Context): Promise<DoctorCheck> {
  const file = pksSshConfigPath(ctx.env);
  if ((await sshIncludeState(ctx.env)) === 'present') return { name: 'ssh include', status: 'ok', detail: `~/.ssh/config includes ${file}` };
  return {
    name: 'ssh include',
    status: 'warn',
    detail: `~/.ssh/config does not include ${file}: VS Code cannot open containers on registered hosts`,
    fix: `Add "Include ${file}" as the first line of ~/.ssh/config (spawn --remote and connect --remote offer to, or do it with --yes).`,
  };
}

export async function doctorChecks(ctx: Context, flags: DoctorFlags): Promise<DoctorCheck[]> {
  const [local, compose, remotes] = await Promise.all([localEngineCheck(ctx), composeCheck(ctx), flags.remotes === false ? Promise.resolve([]) : hostChecks(ctx, flags)]);
  return [nodeCheck(process.version), gitCheck(ctx), editorCheck(ctx), compose, local, ...remotes];
}

const MARK: Record<CheckStatus, string> = { ok: '✔', warn: '!', fail: '✖' };

export async function runDoctor(ctx: Context, flags: DoctorFlags): Promise<void> {
  const checks = await doctorChecks(ctx, flags);
  present(ctx.reporter, flags.format, checks, {
    json: (all) => ({ ok: all.every((check) => check.status !== 'fail'), checks: all }),
    text: (all, reporter) => {
      const width = Math.max(...all.map((check) => check.name.length));
      reporter.data(
        all
          .map((check) => `${MARK[check.status]} ${check.name.padEnd(width)}  ${escapeControls(check.detail)}${check.fix === undefined ? '' : `\n    fix: ${escapeControls(check.fix)}`}`)
          .join('\n'),
      );
    },
  });
  const failed = checks.filter((check) => check.status === 'fail');
  if (failed.length > 0) {
    throw new OperationError('E_DOCTOR_FAILED', `${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map((check) => check.name).join(', ')}.`, {
      hint: 'Each failed line above says what to do.',
    });
  }
  const warned = checks.filter((check) => check.status === 'warn').length;
  if (flags.format !== 'json') ctx.reporter.success(`All checks passed${warned === 0 ? '' : ` (${warned} warning${warned === 1 ? '' : 's'})`}.`);
}
