// What the SSH layer may ask the user, wired to the CLI's prompter: on a
// terminal it asks; without one the questions are absent and the SSH layer
// fails with the flag (or the ssh-agent) that answers them instead.

import type { SshPrompts } from '../ssh/index.js';
import type { Context } from './context.js';

export function sshPrompts(ctx: Context): SshPrompts {
  const prompts: SshPrompts = {
    warn: (message) => ctx.reporter.warn(message),
    // As OpenSSH says it: what was trusted stays on record in the output.
    hostKeyAccepted: ({ host, port, keyType, fingerprint, file }) =>
      ctx.reporter.info(`Permanently added ${host} port ${port} (${keyType} ${fingerprint}) to ${file}.`),
  };
  if (!ctx.prompter.interactive) return prompts;
  prompts.passphrase = (keyPath) => ctx.prompter.secret(`Enter passphrase for key ${keyPath}: `);
  prompts.confirmHostKey = ({ host, port, keyType, fingerprint }) =>
    ctx.prompter.confirm(
      `The authenticity of host ${host} port ${port} can't be established.\n` +
        `${keyType} key fingerprint is ${fingerprint}.\n` +
        'Trust this host and remember its key (in ~/.pks/known_hosts)?',
      { flag: '--accept-new-host-key' },
    );
  return prompts;
}
