// `pks devcontainer shell`: an interactive login shell in a dev container, in
// this terminal (exec with the user's own shell).

import type { Context } from '../../context.js';
import { forwardConfiguredPorts } from '../../port-forwards.js';
import { runExec } from './exec-run.js';

/**
 * The remote user's login shell (from the container's /etc/passwd; bash when
 * the account names plain sh or none and bash exists), started as a login
 * shell in the workspace folder.
 */
export const LOGIN_SHELL = [
  '/bin/sh',
  '-c',
  [
    'user=$(id -un 2>/dev/null || echo root)',
    'shell=$(awk -F: -v u="$user" \'$1 == u { print $7 }\' /etc/passwd 2>/dev/null)',
    'case "$shell" in ""|*/nologin|*/false) shell=/bin/sh ;; esac',
    'if [ "$shell" = /bin/sh ] && [ -x /bin/bash ]; then shell=/bin/bash; fi',
    'exec "$shell" -l',
  ].join('\n'),
  'pks-shell',
];

export async function shellCommand(ctx: Context, query: string | undefined, flags: { remote?: string; sshAgent?: boolean; forward?: boolean }): Promise<void> {
  await runExec(ctx, query, LOGIN_SHELL, {
    remote: flags.remote,
    interactive: true,
    tty: ctx.stdin.isTTY === true,
    env: [],
    sshAgent: flags.sshAgent,
    // The configuration's ports, for as long as the shell runs.
    beforeStart: flags.forward === false ? undefined : async (found, inspect) => void (await forwardConfiguredPorts(ctx, found, inspect)),
  });
}
