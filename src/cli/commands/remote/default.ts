// `pks remote default`: the declaration; the work is in default-run.ts, loaded on demand.

import { Option, type Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { formatOption, parseRemoteId } from '../../options.js';
import { examples } from '../examples.js';

export function define(parent: Command, ctx: Context): void {
  parent
    .command('default')
    .description('show, set or unset the remote host commands use when --remote is not given')
    .argument('[id]', 'remote host id to make the default', parseRemoteId)
    .addOption(new Option('--unset', 'use the local engine by default again').conflicts('format'))
    .addOption(formatOption())
    .addHelpText(
      'after',
      examples([
        ['pks remote default hetzner', 'commands run on hetzner unless --remote says otherwise'],
        ['pks remote default', 'show the default and where it comes from'],
        ['pks devcontainer list --remote local', 'the local engine, this once'],
        ['pks remote default --unset', 'back to the local engine'],
      ]) + '\nPrecedence: --remote, then the PKS_REMOTE environment variable, then this default (kept in ~/.pks/config.json).\n',
    )
    .action(async (id, flags) => (await import('./default-run.js')).remoteDefault(ctx, id, flags));
}
