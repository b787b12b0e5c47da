// `pks devcontainer rebuild`: the spawn pipeline with --rebuild, driven by what
// the container's labels say about its project: the image is rebuilt (without
// cache if asked), the container replaced on the SAME volume, so the work in
// progress survives, and the create-time hooks run again.

import { stat } from 'node:fs/promises';
import { OperationError, UsageError } from '../../../common/errors.js';
import { escapeControls } from '../../../common/terminal-text.js';
import { inspectContainer, labelsOf } from '../../../core/containers/container-info.js';
import { LABELS } from '../../../core/containers/labels.js';
import { localUserName } from '../../../core/containers/owner.js';
import { agentToForward } from '../../../core/containers/ssh-agent.js';
import { openContainerTarget } from '../../container-target.js';
import type { Context } from '../../context.js';
import { dotfilesOptions, runSpawn, spawnHost } from './spawn-run.js';

export interface RebuildFlags {
  remote?: string;
  /** false with --no-cache. */
  cache?: boolean;
  prefer?: 'host' | 'container';
  format: 'text' | 'json';
  otherUser?: boolean;
  /** false with --no-git-identity. */
  gitIdentity?: boolean;
  /** false with --no-ssh-agent. */
  sshAgent?: boolean;
  dotfilesRepository?: string;
  dotfilesInstallCommand?: string;
  dotfilesTargetPath?: string;
}

export async function rebuildCommand(ctx: Context, query: string | undefined, flags: RebuildFlags): Promise<void> {
  const found = await openContainerTarget(ctx, query, flags.remote, { destructive: 'rebuild', otherUser: flags.otherUser });
  const labels = labelsOf(await inspectContainer(found.target.engine, found.container.containerId));
  if (found.container.foreign || labels[LABELS.managed] !== 'true') {
    throw new UsageError(`${found.container.name} was not created by pks, so pks cannot rebuild it.`, {
      code: 'E_FOREIGN_CONTAINER',
      hint: 'Rebuild it with the tool that created it (in VS Code: "Dev Containers: Rebuild Container").',
    });
  }
  const projectPath = labels[LABELS.projectPath];
  const info = projectPath === undefined ? undefined : await stat(projectPath).catch(() => undefined);
  if (projectPath === undefined || info === undefined || !info.isDirectory()) {
    throw new OperationError('E_PROJECT_MISSING', `Rebuilding needs the project's configuration, but its folder ${projectPath === undefined ? '(unknown)' : escapeControls(projectPath)} is not on this machine.`, {
      hint: 'Run the rebuild on the machine the container was spawned from. If the folder moved, spawn it from where it is now (a new container: the old one and its volume stay until pks devcontainer rm).',
    });
  }
  const configFile = labels[LABELS.configFile];
  const projectName = labels[LABELS.projectName];
  const volumeName = labels[LABELS.volumeName];
  await runSpawn(ctx, flags.format, {
    projectPath,
    projectName,
    configFile,
    volumeName,
    cwd: ctx.cwd,
    env: ctx.env,
    // The container is found again by who spawned it (another user's stays theirs).
    localUser: labels[LABELS.spawnedBy] ?? localUserName(ctx.env),
    target: found.target,
    rebuild: 'always',
    prefer: flags.prefer,
    force: false,
    includeIgnored: false,
    noCache: flags.cache === false,
    gitIdentity: flags.gitIdentity !== false,
    sshAgent: await agentToForward(ctx.env, flags.sshAgent),
    dotfiles: dotfilesOptions(flags),
    host: spawnHost(ctx),
  });
}
