// One SSH connection per host per process: every engine client for the same
// login shares it, and it is closed when the last one lets go.

import { SshConnection } from './connection.js';
import { resolveSshOptions, type ResolvedSshOptions, type SshConnectionOptions } from './options.js';

interface PoolEntry {
  connection: SshConnection;
  leases: number;
}

const pool = new Map<string, PoolEntry>();

/**
 * The login plus everything that decides whether we trust the connection:
 * two callers that verify host keys against different files, or authenticate
 * differently, must not silently share a connection the other one opened.
 */
function poolKey(options: ResolvedSshOptions): string {
  return JSON.stringify(sshOptionsIdentity(options));
}

/** What identifies a connection for sharing it: in this process, and through a warm-connection holder. */
export function sshOptionsIdentity(options: ResolvedSshOptions): unknown[] {
  return [
    options.username,
    options.host.toLowerCase(),
    options.port,
    options.privateKeyPath ?? null,
    options.identityFiles,
    options.agentSocket ?? null,
    options.knownHostsFiles,
    options.globalKnownHostsFiles,
    options.revokedHostKeys ?? null,
    options.acceptNewHostKey,
    options.jump === undefined ? null : sshOptionsIdentity(options.jump),
  ];
}

export interface SshConnectionLease {
  readonly connection: SshConnection;
  /** Gives the lease back; the connection closes with the last lease. Idempotent. */
  release(): Promise<void>;
}

/** Takes a lease on the shared connection for these options (not yet connected). */
export function acquireSshConnection(options: SshConnectionOptions): SshConnectionLease {
  const resolved = resolveSshOptions(options);
  const key = poolKey(resolved);
  let entry = pool.get(key);
  if (entry === undefined) {
    entry = { connection: new SshConnection(resolved), leases: 0 };
    pool.set(key, entry);
  }
  entry.leases++;
  const held = entry;
  let released = false;
  return {
    connection: held.connection,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      held.leases--;
      if (held.leases > 0) return;
      if (pool.get(key) === held) pool.delete(key);
      await held.connection.close();
    },
  };
}

/** Number of SSH connections currently held by this process (for tests). */
export function openSshConnectionCount(): number {
  return pool.size;
}
