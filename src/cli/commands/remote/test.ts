// `pks remote test`: the declaration; the work is in test-run.ts, loaded on demand.

import type { Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { formatOption, parseRemoteId } from '../../options.js';
import { examples } from '../examples.js';
import { timeoutOption } from './timeout-option.js';

export function define(parent: Command, ctx: Context): void {
  parent
    .command('test')
    .description('check a remote host step by step: DNS, TCP, host key, auth, Docker')
    .argument('<id>', 'remote host id', parseRemoteId)
    .addOption(formatOption())
    .option('--accept-new-host-key', 'trust the host key of a host not yet in known_hosts')
    .addOption(timeoutOption())
    .addHelpText(
      'after',
      examples([
        ['pks remote test hetzner', 'each step, from DNS to the engine\'s free disk'],
        ['pks remote test hetzner --accept-new-host-key', 'trust a host key seen for the first time'],
        ['pks remote test hetzner --format json', 'the steps as JSON (exit 1 if one failed)'],
      ]),
    )
    .action(async (id, flags) => (await import('./test-run.js')).remoteTest(ctx, id, flags));
}
