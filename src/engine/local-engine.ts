// The local engine: DOCKER_HOST, else the docker context in use, else the default socket.

import type { RetryPolicy } from '../common/retry.js';
import { resolveLocalEndpoint } from './docker-context.js';
import { HttpEngineClient, type EngineClient } from './engine-client.js';
import { createLocalTransport } from './local-transport.js';

/**
 * A client for the local engine. Nothing is connected yet: the first call
 * connects and negotiates the API version, so a bad DOCKER_HOST or docker context fails here
 * (UsageError) and an engine that is down fails on that first call.
 */
export async function openLocalEngine(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: { retry?: RetryPolicy | undefined } = {},
): Promise<EngineClient> {
  const { endpoint, origin } = await resolveLocalEndpoint(env);
  return new HttpEngineClient(createLocalTransport(endpoint, origin), options);
}
