// `pks remote env`: the declaration; the work is in env-run.ts, loaded on demand.

import { Option, type Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { parseRemoteId } from '../../options.js';
import { examples } from '../examples.js';

export function define(parent: Command, ctx: Context): void {
  parent
    .command('env')
    .description("print DOCKER_HOST for a host's warm connection, so docker tools reach its engine through it")
    .argument('<id>', 'remote host id', parseRemoteId)
    .addOption(new Option('--format <format>', 'output format').choices(['shell', 'json'] as const).default('shell' as const))
    .addHelpText(
      'after',
      examples([
        ['eval "$(pks remote env hetzner)"', 'point this shell\'s docker at hetzner'],
        ['eval "$(pks remote env hetzner)" && docker ps', "hetzner's containers, through pks's verified connection"],
        ['pks remote env hetzner --format json', '{"DOCKER_HOST": "unix://…"}'],
      ]),
    )
    .action(async (id, flags) => (await import('./env-run.js')).remoteEnv(ctx, id, flags));
}
