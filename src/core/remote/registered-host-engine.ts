// The remote half of engine-target.ts, loaded only when a command reaches a
// registered host: the hosts file, SSH options and the SSH engine.

import { RemoteHostStore, describeHost, type RemoteHost } from '../../store/remote-host-store.js';
import type { EngineTarget, OpenEngineOptions } from './engine-target.js';
import { resolveRemoteTarget } from './host-ssh-target.js';
import { openHostEngine } from './warm-connection.js';

/** The engine of a registered host, its connection options taken from the entry (and ~/.ssh/config). */
export async function openRegisteredEngine(entry: RemoteHost, options: Omit<OpenEngineOptions, 'remote'>): Promise<EngineTarget> {
  const target = resolveRemoteTarget(entry, {
    env: options.env,
    // Commands other than `remote add/test` have no flag for it.
    prompts: { ...options.prompts, acceptHostKeyWith: `pks remote test ${entry.id} --accept-new-host-key` },
    acceptNewHostKey: options.acceptNewHostKey,
    timeoutMs: options.timeoutMs,
  });
  const description = describeRegistered(entry);
  // The API version recorded by `remote add`/`remote test` spares the _ping;
  // engine errors name the host by its id. Through the host's warm
  // connection unless warm connections are off.
  const engine = await openHostEngine(entry.id, { ...target.options, retry: options.retry, knownApiVersion: entry.capabilities?.apiVersion, description }, options.env);
  const { host, port, username } = target.options;
  return {
    engine,
    hostId: entry.id,
    description,
    sshCommand: [
      'ssh',
      ...(port !== undefined && port !== 22 ? ['-p', String(port)] : []),
      ...(target.options.privateKeyPath === undefined ? [] : ['-i', target.options.privateKeyPath]),
      `${username}@${host}`,
    ],
  };
}

export function describeRegistered(entry: RemoteHost): string {
  return `remote host "${entry.id}" (${describeHost(entry)})`;
}

/** The engine of the host registered as `id`; an unknown id is an error listing the known ones. */
export async function openRemoteEngineTarget(id: string, options: Omit<OpenEngineOptions, 'remote'>): Promise<EngineTarget> {
  return openRegisteredEngine(await RemoteHostStore.fromEnv(options.env).require(id), options);
}

/** Every registered host, in registry order. */
export async function registeredHosts(env: NodeJS.ProcessEnv): Promise<RemoteHost[]> {
  return RemoteHostStore.fromEnv(env).list();
}
