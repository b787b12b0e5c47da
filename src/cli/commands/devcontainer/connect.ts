// `pks devcontainer connect`: the declaration; the work is in connect-run.ts, loaded on demand.

import { Option, type Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { IDE_CHOICES } from '../../editors.js';
import { examples } from '../examples.js';
import { containerCommand } from './container-command.js';

export function define(parent: Command, ctx: Context): void {
  containerCommand(parent, 'connect', 'open a dev container in VS Code (or print how to reach it)')
    .option('--restart-if-stopped', 'start the container if it is stopped')
    .option('--no-launch', 'do not open an editor')
    .option('--no-ssh-agent', 'do not forward this machine\'s SSH agent into the container (also PKS_NO_SSH_AGENT=1)')
    .option('--print-uri', 'print only the editor URI on stdout')
    .addOption(new Option('--ide <ide>', 'editor to open (default: the first of code, code-insiders, cursor, windsurf on PATH)').choices(IDE_CHOICES))
    .option('-y, --yes', 'answer yes to confirmations')
    .option('--no-forward', 'on a terminal without an editor opened, return at once instead of forwarding the configuration\'s ports until Ctrl-C')
    .action(async (query, flags) => (await import('./connect-run.js')).connectCommand(ctx, query, flags))
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer connect api --remote hetzner', 'reopen VS Code in a remote container'],
        ['pks devcontainer connect --print-uri', 'only print the vscode-remote:// URI of the current folder\'s container'],
        ['pks devcontainer connect api --restart-if-stopped --ide code-insiders', 'start it if needed, open in Insiders'],
      ]),
    );
}
