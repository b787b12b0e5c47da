// Options of one SSH login, validated once so the connection code can trust them.

import * as z from '../common/zod-mini.js';
import { UsageError } from '../common/errors.js';
import { DEFAULT_RETRY_POLICY, NO_RETRY, type RetryPolicy } from '../common/retry.js';
import type { AcceptedHostKey } from './host-key-policy.js';
import { defaultGlobalKnownHostsFiles, defaultKnownHostsFiles } from './known-hosts-file.js';

export const sshConnectionOptionsSchema = z.object({
  host: z.string().check(z.minLength(1)),
  port: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(65535)), 22),
  username: z.string().check(z.minLength(1)),
  /**
   * The identity the user named for this host: a problem with it (missing,
   * readable by others, wrong passphrase) is an error, never skipped.
   */
  privateKeyPath: z.optional(z.string().check(z.minLength(1))),
  /**
   * Further identities to try after it (ssh_config IdentityFile, the default
   * ~/.ssh/id_*): as in OpenSSH, a missing one is skipped silently and one
   * with loose permissions is skipped with a warning.
   */
  identityFiles: z._default(z.array(z.string().check(z.minLength(1))), []),
  /** ssh-agent socket (SSH_AUTH_SOCK); its keys are tried first, as ssh does. */
  agentSocket: z.optional(z.string().check(z.minLength(1))),
  knownHostsFiles: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  /** GlobalKnownHostsFile (default /etc/ssh/ssh_known_hosts and ssh_known_hosts2); [] reads none. */
  globalKnownHostsFiles: z.optional(z.array(z.string().check(z.minLength(1)))),
  /** RevokedHostKeys: host keys never to accept (key list or KRL); unreadable = refuse every host. */
  revokedHostKeys: z.optional(z.string().check(z.minLength(1))),
  /** Where an accepted new host key is recorded (default: the first known_hosts file). */
  knownHostsAcceptFile: z.optional(z.string().check(z.minLength(1))),
  /** Record an unknown host's key instead of refusing (StrictHostKeyChecking=accept-new). */
  acceptNewHostKey: z._default(z.boolean(), false),
  readyTimeoutMs: z._default(z.number().check(z.int(), z.positive()), 10_000),
  /** SSH-level keepalive so a dead link is noticed during long streams. 0 disables. */
  keepaliveIntervalMs: z._default(z.number().check(z.int(), z.minimum(0)), 15_000),
  keepaliveCountMax: z._default(z.number().check(z.int(), z.positive()), 3),
});

/** Questions the connection may need to ask the user; absent = cannot ask. */
export interface SshPrompts {
  /** The passphrase of an encrypted key; undefined = the user declined. */
  passphrase?(keyPath: string): Promise<string | undefined>;
  /** Whether to trust a host seen for the first time. */
  confirmHostKey?(question: { host: string; port: number; keyType: string; fingerprint: string }): Promise<boolean>;
  /** A non-fatal problem worth telling the user (a skipped key, ...). */
  warn?: ((message: string) => void) | undefined;
  /** A host key was recorded as trusted (asked, or --accept-new-host-key): say so, with its fingerprint. */
  hostKeyAccepted?(accepted: AcceptedHostKey): void;
  /** How the user accepts a new host key, named in the hint when nobody can be asked. */
  acceptHostKeyWith?: string;
}

export type SshConnectionOptions = z.input<typeof sshConnectionOptionsSchema> & {
  /** First ProxyJump hop: the connection to the host is tunnelled through it. */
  jump?: SshConnectionOptions | undefined;
  prompts?: SshPrompts | undefined;
  /** How a failed connection set-up is retried (default: 3 tries, silently). */
  retry?: RetryPolicy | undefined;
};
export type ResolvedSshOptions = z.output<typeof sshConnectionOptionsSchema> & {
  knownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  jump?: ResolvedSshOptions | undefined;
  prompts: SshPrompts;
  retry: RetryPolicy;
};

export function resolveSshOptions(options: SshConnectionOptions): ResolvedSshOptions {
  const { jump, prompts, retry, ...plain } = options;
  const parsed = sshConnectionOptionsSchema.safeParse(plain);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`);
    throw new UsageError(`Invalid SSH connection options: ${issues.join('; ')}`);
  }
  return {
    ...parsed.data,
    knownHostsFiles: parsed.data.knownHostsFiles ?? defaultKnownHostsFiles(),
    globalKnownHostsFiles: parsed.data.globalKnownHostsFiles ?? defaultGlobalKnownHostsFiles(),
    prompts: prompts ?? {},
    retry: retry ?? DEFAULT_RETRY_POLICY,
    // A jump hop is set up as part of its target's connection, which does the
    // retrying; it asks through the target's prompts unless it has its own.
    jump: jump === undefined ? undefined : resolveSshOptions({ ...jump, prompts: jump.prompts ?? prompts, retry: NO_RETRY }),
  };
}

/** `user@host:port`, for messages. */
export function loginOf(options: Pick<ResolvedSshOptions, 'username' | 'host' | 'port'>): string {
  return `${options.username}@${options.host}:${options.port}`;
}

/** `ssh://user@host:port`, how pks names a remote engine's target. */
export function sshUrlOf(options: Pick<ResolvedSshOptions, 'username' | 'host' | 'port'>): string {
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return `ssh://${options.username}@${host}:${options.port}`;
}
