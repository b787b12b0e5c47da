// `pks devcontainer prune`: the declaration; the work is in prune-run.ts, loaded on demand.

import type { Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { formatOption, remoteOption } from '../../options.js';
import { examples } from '../examples.js';

export function define(parent: Command, ctx: Context): void {
  parent
    .command('prune')
    .description('remove the images pks built that no container uses (and, with --volumes, unused workspace volumes)')
    .addOption(remoteOption())
    .option('--volumes', 'also remove your workspace volumes no container mounts (the work in them is lost)')
    .option('--dry-run', 'only show what would be removed')
    .option('-y, --yes', 'do not ask for confirmation')
    .addOption(formatOption())
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer prune --dry-run', 'what would go on the local engine, with sizes'],
        ['pks devcontainer prune --remote hetzner --yes', 'remove the unused images pks built on a remote host'],
        ['pks devcontainer prune --volumes', 'also the workspace volumes of removed containers (asks first)'],
      ]),
    )
    .action(async (options) => (await import('./prune-run.js')).runPrune(ctx, options));
}
