// `pks devcontainer connect`: back into an existing dev container, in VS Code
// (through a URI that attaches to the container, nested behind Remote-SSH for
// remote hosts), or print how to reach it.

import path from 'node:path';
import { OperationError, isPksError, type PksError } from '../../../common/errors.js';
import { escapeControls } from '../../../common/terminal-text.js';
import { hookTargetFor, inspectContainer, type ContainerInspect } from '../../../core/containers/container-info.js';
import { runLifecycleHooks } from '../../../core/containers/hooks.js';
import { startDevcontainer } from '../../../core/containers/lifecycle.js';
import { agentToForward, serveAgentFor } from '../../../core/containers/ssh-agent.js';
import { vscodeContainerUri } from '../../../core/containers/vscode-uri.js';
import { hookMessages, openContainerTarget, type ContainerTarget } from '../../container-target.js';
import { forwardConfiguredPorts, forwardingStopped, untilInterrupted } from '../../port-forwards.js';
import type { Context } from '../../context.js';
import { editorMissing, findEditor, launchEditor, refuseIdeWithoutLaunch, sshAliasForRemote, type Ide } from '../../editor.js';

export interface ConnectFlags {
  remote?: string;
  restartIfStopped?: boolean;
  launch?: boolean;
  printUri?: boolean;
  ide?: Ide;
  yes?: boolean;
  /** false with --no-ssh-agent. */
  sshAgent?: boolean;
  forward?: boolean;
}

export async function connectCommand(ctx: Context, query: string | undefined, flags: ConnectFlags): Promise<void> {
  refuseIdeWithoutLaunch(flags);
  const found = await openContainerTarget(ctx, query, flags.remote);
  const { engine, hostId } = found.target;
  const id = found.container.containerId;
  let inspect = await inspectContainer(engine, id);
  const name = found.container.name;
  if (!inspect.State.Running) {
    let start = flags.restartIfStopped === true;
    if (!start && !ctx.prompter.interactive) {
      throw new OperationError('E_CONTAINER_STOPPED', `The dev container ${name} is ${inspect.State.Status}.`, {
        hint: `Pass --restart-if-stopped to start it (postStartCommand runs), or: pks devcontainer start ${found.reference}${found.remoteFlag}`,
      });
    }
    start ||= await ctx.prompter.confirm(`The dev container ${name} is ${inspect.State.Status}. Start it?`, { flag: '--restart-if-stopped', defaultAnswer: true });
    if (!start) throw new OperationError('E_CONTAINER_STOPPED', `Not connecting: ${name} is ${inspect.State.Status}.`);
    ctx.reporter.info(`Starting ${name}...`);
    await startDevcontainer(engine, id, { onEvent: hookMessages(ctx), remoteFlag: found.remoteFlag });
    inspect = await inspectContainer(engine, id);
  }

  const workspaceFolder = found.container.workspaceFolder ?? '/';
  const shownFolder = escapeControls(workspaceFolder);
  const sshHostAlias = hostId === 'local' ? undefined : await sshAliasForRemote(ctx, hostId, flags.yes === true);
  const uri = vscodeContainerUri({ containerName: name, workspaceFolder, sshHostAlias });
  if (flags.printUri === true) {
    ctx.reporter.data(uri);
    return;
  }
  const { target, merged } = hookTargetFor(engine, inspect, { onEvent: hookMessages(ctx), remoteFlag: found.remoteFlag });
  // As VS Code does: a failing postAttachCommand is reported, and the editor
  // opens anyway (the user needs it to fix the command). Exit 1 at the end,
  // with the failure reported there, once: its command's output is already
  // on the screen.
  let attachFailure: PksError | undefined;
  // For postAttachCommand (and, on a remote host, kept by its warm connection).
  const agent = await serveAgentFor(engine, inspect, await agentToForward(ctx.env, flags.sshAgent), (message) => ctx.reporter.warn(message));
  try {
    await runLifecycleHooks(target, merged, 'attach');
  } catch (error) {
    if (!isPksError(error) || error.code !== 'E_HOOK_FAILED') throw error;
    attachFailure = error;
  } finally {
    await agent?.close();
  }

  ctx.reporter.data(
    [
      `container  ${name} (${inspect.State.Status})`,
      `host       ${found.target.description}`,
      `workspace  ${shownFolder}`,
      ...(found.target.sshCommand === undefined ? [] : [`ssh        ${found.target.sshCommand.join(' ')}${sshHostAlias === undefined ? '' : `   (or: ssh ${sshHostAlias})`}`]),
      `uri        ${uri}`,
    ].join('\n'),
  );
  const editor = flags.launch === false || flags.ide === 'none' ? undefined : findEditor(ctx.env, flags.ide);
  if (editor !== undefined) {
    await launchEditor(editor, uri, ctx.env);
    ctx.reporter.success(`Opened ${shownFolder} in ${path.basename(editor)}.`);
  } else if (flags.launch !== false && flags.ide !== 'none') {
    ctx.reporter.warn(editorMissing(flags.ide), `Open the container from a machine with VS Code: code --folder-uri '${uri}'`);
  }
  if (attachFailure !== undefined) throw attachFailure;
  // An editor attached to the container forwards the ports itself (VS Code
  // does). Without one, on a terminal, connect stays and forwards them until
  // Ctrl-C; a script gets its answer and the command returns.
  if (editor === undefined && flags.forward !== false && ctx.stdin.isTTY === true) await holdConfiguredPorts(ctx, found, inspect);
}

/** The configuration's ports, forwarded until Ctrl-C (exit 130); nothing to hold when there are none. */
async function holdConfiguredPorts(ctx: Context, found: ContainerTarget, inspect: ContainerInspect): Promise<void> {
  const interrupted = untilInterrupted(ctx);
  if ((await forwardConfiguredPorts(ctx, found, inspect)) === undefined) return;
  ctx.reporter.info('Forwarding until Ctrl-C (--no-forward returns at once).');
  await interrupted;
  throw forwardingStopped();
}
