// `pks devcontainer ...`: spawn dev containers and manage them for their whole
// life. The group only; each verb is declared in devcontainer/<verb>.ts, whose
// action loads the module that does the work on demand.

import { Command } from '@commander-js/extra-typings';
import type { Context } from '../context.js';
import * as config from './devcontainer/config.js';
import * as connect from './devcontainer/connect.js';
import * as exec from './devcontainer/exec.js';
import * as forward from './devcontainer/forward.js';
import * as inspect from './devcontainer/inspect.js';
import * as list from './devcontainer/list.js';
import * as logs from './devcontainer/logs.js';
import * as prune from './devcontainer/prune.js';
import * as rebuild from './devcontainer/rebuild.js';
import * as restart from './devcontainer/restart.js';
import * as rm from './devcontainer/rm.js';
import * as shell from './devcontainer/shell.js';
import * as spawn from './devcontainer/spawn.js';
import * as start from './devcontainer/start.js';
import * as stop from './devcontainer/stop.js';
import * as validate from './devcontainer/validate.js';
import { examples } from './examples.js';

/** In the order `pks devcontainer --help` lists them. */
const VERBS = [spawn, list, connect, shell, forward, stop, start, restart, logs, exec, rm, rebuild, prune, inspect, config, validate];

export function devcontainerCommand(ctx: Context) {
  const dc = new Command('devcontainer')
    .alias('dc')
    // Each verb parses its own options: `exec` passes those after the container through.
    .enablePositionalOptions()
    .description('spawn and manage dev containers, locally or on a remote host')
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer spawn', 'spawn the current folder\'s dev container on the local engine'],
        ['pks devcontainer spawn ~/src/api --remote hetzner', 'spawn on a registered remote host'],
        ['pks devcontainer list --all-remotes', 'running dev containers everywhere'],
        ['pks devcontainer connect api --remote hetzner', 'reopen VS Code in an existing container'],
      ]),
    );
  for (const verb of VERBS) verb.define(dc, ctx);
  return dc;
}
