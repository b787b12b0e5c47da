// Test host r1 behind latency relays (latency-relay.ts), one per round trip,
// for pks and OpenSSH alike: r1's host key under each relay's address in
// known_hosts, a `Host 127.0.0.1` block with r1's user and key in the
// world's ssh config (so `docker -H ssh://user@127.0.0.1:<port>` works), and
// the relay ports to register pks hosts with (`--host 127.0.0.1 --port`).
// Used by latency.ts and upload.ts; with OpenSSH connection sharing on request: a warm OpenSSH connection, as pks's own,
// with a local socket forwarded to r1's docker socket.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchHome } from './bench-home.js';
import { startLatencyRelay, type LatencyRelay } from './latency-relay.js';
import { mustSucceed, runTimed } from './runner.js';

export interface RelayedHost {
  /** The relay's port for a round trip (ms). */
  portOf(rtt: number): number;
  /** The relay itself (its counts of connections and turns). */
  relay(rtt: number): LatencyRelay | undefined;
  /** `pks remote add` argument lists (id first), one host per round trip, ids made by `idOf`. */
  remoteArgs(idOf: (rtt: number) => string): string[][];
  /** The user@127.0.0.1:port of a relay, for `ssh://` addresses. */
  sshTarget(rtt: number): string;
  /** A local socket OpenSSH forwards to r1's docker socket through the relay (with `shareOpenSsh` only). */
  dockerSocket(rtt: number): string;
  /** Ends the shared OpenSSH connections (if any) and closes the relays. */
  close(): Promise<void>;
}

export async function relayedR1(world: BenchHome, rtts: readonly number[], options: { shareOpenSsh?: boolean } = {}): Promise<RelayedHost> {
  const r1 = world.testEnv.r1;
  const relays = new Map<number, LatencyRelay>();
  const close = async (): Promise<void> => {
    if (options.shareOpenSsh === true) {
      // `-O exit` ends the master of each relay's connection (nothing when there is none).
      for (const rtt of relays.keys()) await runTimed(['ssh', '-O', 'exit', '-p', String(portOf(rtt)), `${r1.user}@127.0.0.1`], { env: world.base });
    }
    for (const relay of relays.values()) await relay.close();
  };
  const portOf = (rtt: number): number => relays.get(rtt)?.port ?? 0;
  const socketOf = (rtt: number): string => path.join(world.root, `docker-${rtt}.sock`);
  try {
    for (const rtt of rtts) relays.set(rtt, await startLatencyRelay({ targetHost: r1.host, targetPort: r1.port, upMs: rtt / 2, downMs: rtt / 2 }));
    const r1Line = (await readFile(world.testEnv.knownHosts, 'utf8')).split('\n').find((line) => (line.split(' ')[0] ?? '').split(',').includes(r1.host));
    if (r1Line === undefined) throw new Error(`no known_hosts line for ${r1.host} in ${world.testEnv.knownHosts}`);
    const hostKey = r1Line.split(' ').slice(1).join(' ');
    for (const rtt of rtts) await world.addKnownHost(`[127.0.0.1]:${portOf(rtt)} ${hostKey}`);
    // %C: a hash of the connection's parameters, short enough for a socket path.
    const sharing = options.shareOpenSsh === true ? `  ControlMaster auto\n  ControlPath ${path.join(world.root, 'ssh-%C')}\n  ControlPersist yes\n` : '';
    await world.addSshHostBlock(`Host 127.0.0.1\n  User ${r1.user}\n  IdentityFile ${r1.key}\n  IdentitiesOnly yes\n  BatchMode yes\n${sharing}`);
    if (options.shareOpenSsh === true) {
      for (const rtt of rtts) {
        // The shared connection up (its master stays in the background), then the forward on it.
        const login = ['-p', String(portOf(rtt)), `${r1.user}@127.0.0.1`];
        await mustSucceed('ssh through the relay', runTimed(['ssh', ...login, 'true'], { env: world.base }));
        await mustSucceed('ssh -O forward', runTimed(['ssh', '-O', 'forward', '-L', `${socketOf(rtt)}:${r1.dockerSocket}`, ...login], { env: world.base }));
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    portOf,
    relay: (rtt) => relays.get(rtt),
    remoteArgs: (idOf) => rtts.map((rtt) => [idOf(rtt), '--host', '127.0.0.1', '--port', String(portOf(rtt)), '--user', r1.user, '--key', r1.key]),
    sshTarget: (rtt) => `${r1.user}@127.0.0.1:${portOf(rtt)}`,
    dockerSocket: socketOf,
    close,
  };
}
