// `pks devcontainer rebuild`: the declaration; the work is in rebuild-run.ts, loaded on demand.

import { Option, type Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { parseNonEmpty } from '../../options.js';
import { examples } from '../examples.js';
import { OTHER_USER_HELP, containerCommand } from './container-command.js';

export function define(parent: Command, ctx: Context): void {
  containerCommand(parent, 'rebuild', 'rebuild a dev container from its configuration, keeping the workspace volume')
    .option('--other-user', OTHER_USER_HELP)
    .option('--no-git-identity', 'do not copy this machine\'s git user.name/user.email into the new container')
    .option('--dotfiles-repository <url|owner/repo>', 'dotfiles to clone (inside the container) and install once, after postCreateCommand', parseNonEmpty)
    .option('--dotfiles-install-command <command>', 'run this in the clone (default: the first of install.sh, install, bootstrap.sh, …; none: link the dotfiles)', parseNonEmpty)
    .option('--dotfiles-target-path <path>', 'where to clone the dotfiles (default: ~/dotfiles)', parseNonEmpty)
    .option('--no-ssh-agent', 'do not forward this machine\'s SSH agent into the container (also PKS_NO_SSH_AGENT=1)')
    .option('--no-cache', 'build the image without the engine\'s layer cache')
    .addOption(new Option('--prefer <side>', 'which copy wins when .devcontainer was edited inside the container').choices(['host', 'container'] as const))
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer rebuild', 'rebuild the current folder\'s dev container; files in the workspace stay'],
        ['pks devcontainer rebuild api --remote hetzner --no-cache', 'rebuild the image from scratch on a remote host'],
      ]),
    )
    .addOption(new Option('--format <format>', 'result format').choices(['text', 'json'] as const).default('text' as const))
    .action(async (query, flags) => (await import('./rebuild-run.js')).rebuildCommand(ctx, query, flags));
}
