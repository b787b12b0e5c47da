// `pks remote ...`: the registry of SSH hosts that run dev containers. The
// group only; each verb is declared in remote/<verb>.ts, whose action loads
// the module that does the work on demand.

import { Command } from '@commander-js/extra-typings';
import type { Context } from '../context.js';
import { examples } from './examples.js';
import * as add from './remote/add.js';
import * as defaultRemote from './remote/default.js';
import * as disconnect from './remote/disconnect.js';
import * as env from './remote/env.js';
import * as list from './remote/list.js';
import * as remove from './remote/remove.js';
import * as test from './remote/test.js';

/** In the order `pks remote --help` lists them. */
const VERBS = [add, list, test, defaultRemote, env, disconnect, remove];

export function remoteCommand(ctx: Context) {
  const remote = new Command('remote')
    .description('register and check remote hosts that run dev containers over SSH')
    .addHelpText(
      'after',
      examples([
        ['pks remote add hetzner --host 203.0.113.7 --user dev --key ~/.ssh/id_ed25519', 'register a host'],
        ['pks remote test hetzner', 'check SSH, host key and the Docker engine'],
        ['pks remote list --format json', 'registered hosts as JSON'],
        ['pks remote disconnect --all', 'end every warm SSH connection'],
      ]),
    );
  for (const verb of VERBS) verb.define(remote, ctx);
  return remote;
}
