// `pks remote env`: the socket of a host's warm connection, for tools that
// speak the Docker API themselves (the docker CLI, Compose).

import { OperationError, UsageError } from '../../common/errors.js';
import { persistenceDisabled } from '../../engine/index.js';
import type { SshPrompts } from '../../ssh/options.js';
import { RemoteHostStore } from '../../store/remote-host-store.js';
import { describeRegistered } from './registered-host-engine.js';
import { resolveRemoteTarget } from './host-ssh-target.js';
import { openWarm } from './warm-connection.js';

/**
 * The Docker API socket of registered host `id`'s warm connection, started
 * if needed (for `pks remote env`). Nobody is asked anything: a first-time
 * host key or a key passphrase fails with the usual hint.
 */
export async function warmSocketOf(id: string, env: NodeJS.ProcessEnv, prompts: SshPrompts): Promise<string> {
  if (persistenceDisabled(env)) {
    throw new UsageError('Warm connections are turned off (--no-persist or PKS_NO_PERSIST=1), so there is no socket to point DOCKER_HOST at.', {
      hint: `Run it without --no-persist and with PKS_NO_PERSIST unset: pks remote env ${id}`,
    });
  }
  const entry = await RemoteHostStore.fromEnv(env).require(id);
  const { warn, acceptHostKeyWith } = prompts;
  const target = resolveRemoteTarget(entry, {
    env,
    prompts: { warn, acceptHostKeyWith: acceptHostKeyWith ?? `pks remote test ${id} --accept-new-host-key` },
  });
  const warm = await openWarm(id, { ...target.options, knownApiVersion: entry.capabilities?.apiVersion, description: describeRegistered(entry) }, env, false);
  if (warm === undefined) {
    throw new OperationError('E_WARM_UNAVAILABLE', `No warm connection can be kept for remote host "${id}" here.`, {
      hint: 'See the warning above; pks commands still work, each with its own SSH connection.',
    });
  }
  await warm.engine.close();
  return warm.apiSocket;
}
