// Options of one SSH login, validated once so the connection code can trust them.

import { z } from 'zod';
import { UsageError } from '../common/errors.js';
import { defaultKnownHostsFiles } from './known-hosts-file.js';

export const sshConnectionOptionsSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  username: z.string().min(1),
  /** Identity file; checked for permissions like OpenSSH, never printed. */
  privateKeyPath: z.string().min(1).optional(),
  /** ssh-agent socket (SSH_AUTH_SOCK), tried after the key file. */
  agentSocket: z.string().min(1).optional(),
  knownHostsFiles: z.array(z.string().min(1)).min(1).optional(),
  /** Record an unknown host's key instead of refusing (StrictHostKeyChecking=accept-new). */
  acceptNewHostKey: z.boolean().default(false),
  readyTimeoutMs: z.number().int().positive().default(20_000),
  /** SSH-level keepalive so a dead link is noticed during long streams. 0 disables. */
  keepaliveIntervalMs: z.number().int().min(0).default(15_000),
  keepaliveCountMax: z.number().int().positive().default(3),
});

export type SshConnectionOptions = z.input<typeof sshConnectionOptionsSchema>;
export type ResolvedSshOptions = z.output<typeof sshConnectionOptionsSchema> & { knownHostsFiles: string[] };

export function resolveSshOptions(options: SshConnectionOptions): ResolvedSshOptions {
  const parsed = sshConnectionOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`);
    throw new UsageError(`Invalid SSH connection options: ${issues.join('; ')}`);
  }
  return { ...parsed.data, knownHostsFiles: parsed.data.knownHostsFiles ?? defaultKnownHostsFiles() };
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
