// `pks devcontainer shell`: the declaration; the work is in shell-run.ts, loaded on demand.

import type { Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { examples } from '../examples.js';
import { containerCommand } from './container-command.js';

export function define(parent: Command, ctx: Context): void {
  containerCommand(parent, 'shell', 'open an interactive login shell in a dev container')
    .option('--no-ssh-agent', 'do not forward this machine\'s SSH agent into the container (also PKS_NO_SSH_AGENT=1)')
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer shell', 'a shell in the current folder\'s dev container'],
        ['pks devcontainer shell api --remote hetzner', 'in a container on a remote host'],
      ]),
    )
    .option('--no-forward', 'do not forward the configuration\'s ports (forwardPorts, appPort) while the shell runs')
    .action(async (query, flags) => (await import('./shell-run.js')).shellCommand(ctx, query, flags));
}
