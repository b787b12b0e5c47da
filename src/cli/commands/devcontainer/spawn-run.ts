// `pks devcontainer spawn`: parse, build the SpawnHost (the parts that run
// processes on this machine: git, initializeCommand, from src/process), run
// the core pipeline, and render its events and result.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { OperationError, UsageError, errorMessage } from '../../../common/errors.js';
import { openEngineTarget, remoteFlagOf, type EngineTarget } from '../../../core/remote/engine-target.js';
import { commandArgvs } from '../../../core/containers/hooks.js';
import { LOCAL_HOST_ID } from '../../../core/containers/labels.js';
import { listDevcontainers, type DevcontainerSummary } from '../../../core/containers/discovery.js';
import { isOwnedBy, localUserName } from '../../../core/containers/owner.js';
import { spawnDevcontainer, type SpawnEvent, type SpawnHost, type SpawnRequest, type SpawnResult } from '../../../core/spawn/spawn.js';
import type { RebuildPolicy } from '../../../core/spawn/types.js';
import type { LifecycleCommand } from '../../../devcontainer/index.js';
import { sshAliasFor } from '../../../core/remote/ssh-aliases.js';
import { DEFAULT_DOTFILES_TARGET, type DotfilesOptions } from '../../../core/containers/dotfiles.js';
import { agentToForward } from '../../../core/containers/ssh-agent.js';
import { vscodeContainerUri } from '../../../core/containers/vscode-uri.js';
import { composeCli } from '../../../process/compose-cli.js';
import { gitFiles } from '../../../process/git-files.js';
import { localGitIdentity } from '../../../process/git-identity.js';
import { runCommand } from '../../../process/run-command.js';
import { buildkitCli, findBuildkitCli } from '../../../process/docker-cli.js';
import { configChooser } from '../../config-chooser.js';
import { containerReference } from '../../container-reference.js';
import type { Context } from '../../context.js';
import { editorMissing, findEditor, launchEditor, refuseIdeWithoutLaunch, sshAliasForRemote, type Ide } from '../../editor.js';
import { present } from '../../present.js';
import { findProjectFolder } from '../../project-folder.js';
import { retryPolicy } from '../../retry-notices.js';
import { sshPrompts } from '../../ssh-prompts.js';
import { SpawnRenderer, spawnResultView } from './spawn-render.js';

export interface SpawnFlags {
  remote?: string;
  name?: string;
  volumeName?: string;
  config?: string;
  rebuild?: boolean;
  autoRebuild?: boolean;
  force?: boolean;
  prefer?: 'host' | 'container';
  includeIgnored?: boolean;
  launch?: boolean;
  ide?: Ide;
  yes?: boolean;
  /** false with --no-git-identity. */
  gitIdentity?: boolean;
  /** false with --no-ssh-agent. */
  sshAgent?: boolean;
  dotfilesRepository?: string;
  dotfilesInstallCommand?: string;
  dotfilesTargetPath?: string;
  format: 'text' | 'json';
}

/** The dotfiles flags as one request; their options without a repository are refused (exit 2), not ignored. */
export function dotfilesOptions(flags: Pick<SpawnFlags, 'dotfilesRepository' | 'dotfilesInstallCommand' | 'dotfilesTargetPath'>): DotfilesOptions | undefined {
  const { dotfilesRepository: repository, dotfilesInstallCommand: installCommand, dotfilesTargetPath: targetPath } = flags;
  if (repository === undefined) {
    const orphan = installCommand !== undefined ? '--dotfiles-install-command' : targetPath !== undefined ? '--dotfiles-target-path' : undefined;
    if (orphan !== undefined) throw new UsageError(`${orphan} needs --dotfiles-repository.`, { hint: 'Name the repository: --dotfiles-repository <url|owner/repo>.' });
    return undefined;
  }
  return { repository, installCommand, targetPath: targetPath ?? DEFAULT_DOTFILES_TARGET };
}

export function spawnHost(ctx: Context): SpawnHost {
  return {
    gitIdentity: (projectPath) => localGitIdentity(projectPath, ctx.env),
    listFiles: async (projectPath, includeIgnored) => (includeIgnored ? undefined : gitFiles(projectPath)),
    async findBuildkit() {
      const found = await findBuildkitCli(ctx.env);
      return 'cli' in found ? { cli: buildkitCli(found.cli, ctx.env) } : found;
    },
    async runInitializeCommand(command: LifecycleCommand, cwd: string, signal?: AbortSignal) {
      await Promise.all(
        commandArgvs(command).map(async ({ label, argv }) => {
          // Ctrl-C ends the command too (the spawn pipeline then stops).
          const code = await runCommand(argv, { cwd, env: ctx.env, signal, onOutput: (text) => ctx.reporter.progress(text) });
          if (code !== 0) {
            throw new OperationError('E_INITIALIZE_FAILED', `initializeCommand failed with exit code ${code}: ${label}`, {
              hint: 'It runs on this machine before anything is created; fix it and run spawn again.',
            });
          }
        }),
      );
    },
    chooseConfig: configChooser(ctx),
    compose: composeCli(ctx.env),
    ...(ctx.prompter.interactive
      ? {
          resolveVolumeChanges: async (files: readonly string[]) =>
            (await ctx.prompter.select(
              `The dev container configuration was edited inside the container (${files.join(', ')}). Which version wins?`,
              ['keep the container\'s edits (copy them here, backing up the current files first)', 'discard them (use this machine\'s version)'],
              '--prefer container|host',
            )) === 0
              ? ('container' as const)
              : ('host' as const),
        }
      : {}),
  };
}

function rebuildPolicy(flags: SpawnFlags): RebuildPolicy {
  if (flags.autoRebuild === true && flags.rebuild !== undefined) {
    throw new UsageError('--auto-rebuild cannot be combined with --rebuild or --no-rebuild.');
  }
  if (flags.rebuild === true) return 'always';
  if (flags.rebuild === false) return 'never';
  return 'auto';
}

export async function spawnCommand(ctx: Context, projectArg: string, flags: SpawnFlags): Promise<void> {
  refuseIdeWithoutLaunch(flags);
  const policy = rebuildPolicy(flags);
  if (flags.force === true && policy === 'never') throw new UsageError('--force cannot be combined with --no-rebuild.');
  const given = path.resolve(ctx.cwd, projectArg);
  const info = await stat(given).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw new UsageError(`${given} is not a folder.`, { code: 'E_PROJECT_NOT_FOUND', hint: 'Pass the project folder: pks devcontainer spawn <path>' });
  }
  const projectPath = await projectFolder(ctx, given, flags.config);
  const target = await openEngineTarget({ env: ctx.env, remote: flags.remote, prompts: sshPrompts(ctx), retry: retryPolicy(ctx) });
  ctx.defer(target.engine);
  const ide = flags.ide === 'none' ? undefined : flags.ide;
  const launch = flags.launch !== false && flags.ide !== 'none';
  const editor = launch ? findEditor(ctx.env, ide) : undefined;
  const openEditor = editor === undefined ? undefined : await editorOpener(ctx, flags, target, editor);
  const result = await runSpawn(ctx, flags.format, {
    onReady: openEditor,
    projectPath,
    projectName: flags.name,
    configFile: flags.config,
    volumeName: flags.volumeName,
    prefer: flags.prefer,
    cwd: ctx.cwd,
    env: ctx.env,
    // Also the filter that finds the existing container: spawn (--force too) only ever replaces the user's own.
    localUser: localUserName(ctx.env),
    target,
    rebuild: policy,
    ...(policy === 'always' ? { rebuildReason: '--rebuild' } : {}),
    force: flags.force === true,
    includeIgnored: flags.includeIgnored === true,
    gitIdentity: flags.gitIdentity !== false,
    sshAgent: await agentToForward(ctx.env, flags.sshAgent),
    dotfiles: dotfilesOptions(flags),
    host: spawnHost(ctx),
  });
  // Said once the container is there, with the URI it would have opened: before
  // the work it would be a note about an editor for a container that may never be.
  if (launch && editor === undefined && flags.format === 'text') {
    const sshHostAlias = target.hostId === LOCAL_HOST_ID ? undefined : sshAliasFor(target.hostId);
    const uri = vscodeContainerUri({ containerName: result.containerName, workspaceFolder: result.remoteWorkspaceFolder, sshHostAlias });
    ctx.reporter.info(`${editorMissing(ide)} Open it by hand from a machine with VS Code: ${ide ?? 'code'} --folder-uri '${uri}' (--no-launch skips this note).`);
  }
}

/**
 * The folder to spawn: `given`, or the nearest one above it with a dev
 * container configuration when `given` has none (a sub-folder of the
 * project), said on stderr. With --config, the folder is what was given.
 */
async function projectFolder(ctx: Context, given: string, configFile: string | undefined): Promise<string> {
  if (configFile !== undefined) return given;
  const found = await findProjectFolder(given, { home: ctx.env.HOME, uid: process.getuid?.() });
  if (found === undefined || found === given) return given;
  ctx.reporter.info(`${given} has no dev container configuration: spawning the project at ${found}, the nearest folder above it with one.`);
  return found;
}

/**
 * How spawn opens the container in `editor`, as `connect` does, once it is
 * ready (the hook `waitFor` names is done; later hooks go on meanwhile). Any
 * question (the ~/.ssh/config Include a remote host's alias needs) is asked
 * now, before the long work.
 */
async function editorOpener(ctx: Context, flags: SpawnFlags, target: EngineTarget, editor: string): Promise<SpawnRequest['onReady']> {
  const sshHostAlias = target.hostId === LOCAL_HOST_ID ? undefined : await sshAliasForRemote(ctx, target.hostId, flags.yes === true);
  return async ({ containerName, workspaceFolder }) => {
    const uri = vscodeContainerUri({ containerName, workspaceFolder, sshHostAlias });
    try {
      await launchEditor(editor, uri, ctx.env);
      ctx.reporter.success(`Opened ${workspaceFolder} in ${path.basename(editor)}.`);
    } catch (error) {
      ctx.reporter.warn(`Could not start ${editor}: ${errorMessage(error)}.`, `Open it later: pks devcontainer connect ${containerName}${remoteFlagOf(target.hostId)}`);
    }
  };
}

/** Runs the pipeline with progress drawn, Ctrl-C wired, and the result printed. */
export async function runSpawn(ctx: Context, format: 'text' | 'json', request: Omit<SpawnRequest, 'onEvent' | 'signal'>): Promise<SpawnResult> {
  const renderer = new SpawnRenderer(ctx);
  const signal = ctx.interruptSignal();
  // The summary's list, asked for while the hooks run (the container and its
  // labels are there by then, and hooks do not change them): no round trip of its own.
  let listed: Promise<DevcontainerSummary[]> | undefined;
  const listEarly = (event: SpawnEvent): void => {
    if (format !== 'text' || listed !== undefined || event.type !== 'phase-start' || event.phase !== 'hooks') return;
    listed = listDevcontainers(request.target.engine, request.target.hostId, { all: true });
    listed.catch(() => undefined);
  };
  let result: SpawnResult;
  try {
    result = await spawnDevcontainer({
      ...request,
      onEvent: (event) => {
        renderer.event(event);
        listEarly(event);
      },
      signal,
    });
  } catch (error) {
    renderer.finish();
    throw error;
  }
  renderer.finish();
  const reference = format === 'text' ? await spawnedReference(ctx, request, result, listed) : result.containerName;
  present(ctx.reporter, format, result, spawnResultView(request.target, reference));
  return result;
}

/**
 * How the summary's commands name the container: by its project when that
 * names it alone on the engine (the user's own first, as those commands look).
 * One more list of the engine, for people only; if it fails, the container name.
 */
async function spawnedReference(ctx: Context, request: Pick<SpawnRequest, 'target' | 'localUser'>, result: SpawnResult, early?: Promise<DevcontainerSummary[]>): Promise<string> {
  try {
    const listed = await (early ?? listDevcontainers(request.target.engine, request.target.hostId, { all: true }));
    const spawned = listed.find((c) => c.containerId === result.containerId);
    return spawned === undefined ? result.containerName : containerReference(listed, spawned, (c) => isOwnedBy(c, request.localUser));
  } catch (error) {
    ctx.reporter.debug(`listing the engine for the summary failed: ${errorMessage(error)}`);
    return result.containerName;
  }
}
