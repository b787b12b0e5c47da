// What every subcommand that acts on one existing dev container declares: the
// container argument and --remote.

import type { Command } from '@commander-js/extra-typings';
import { remoteOption } from '../../options.js';

const TARGET_ARGUMENT = 'project name, container name or ID prefix (default: the current folder\'s project)';

export const OTHER_USER_HELP = 'act on a dev container another local user spawned (pks.spawned.by)';

/** A subcommand that acts on one existing dev container. */
export function containerCommand(parent: Command, name: string, description: string) {
  return parent.command(name).description(description).argument('[container]', TARGET_ARGUMENT).addOption(remoteOption());
}
