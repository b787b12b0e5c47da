// `pks devcontainer list`: the declaration; the work is in list-run.ts, loaded on demand.

import { Option, type Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { formatOption, remoteOption } from '../../options.js';
import { examples } from '../examples.js';

export function define(parent: Command, ctx: Context): void {
  parent
    .command('list')
    .alias('ls')
    .description('list dev containers managed by pks')
    .addOption(remoteOption())
    .option('--all-remotes', 'query the local engine and every registered host')
    .option('-a, --all', 'include stopped containers')
    .option('--include-foreign', 'include dev containers created by VS Code or the Dev Container CLI')
    .option('--all-users', 'include the dev containers other local users spawned (adds an OWNER column)')
    .addOption(new Option('-q, --quiet', 'print only container IDs, one per line (as docker ps -q)').conflicts('format'))
    .addOption(formatOption())
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer list', 'running dev containers on the local engine'],
        ['pks devcontainer list --remote hetzner --all', 'all on a remote host, stopped ones too'],
        ['pks devcontainer list --all-remotes --format json', 'everywhere, as JSON'],
        ['pks devcontainer list --remote hetzner --all-users', 'everyone\'s on a shared host, with their owners'],
        ['pks devcontainer list -aq', 'the IDs of all of them, stopped ones too, for scripts'],
      ]),
    )
    .action(async (options) => (await import('./list-run.js')).runList(ctx, options));
}
