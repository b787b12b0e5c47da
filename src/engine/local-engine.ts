// The local engine, from DOCKER_HOST or the default socket.

import type { RetryPolicy } from '../common/retry.js';
import { parseDockerHost } from './docker-host.js';
import { HttpEngineClient, type EngineClient } from './engine-client.js';
import { createLocalTransport } from './local-transport.js';

/**
 * A client for the local engine. Nothing is connected yet: the first call
 * connects and negotiates the API version, so a bad DOCKER_HOST fails here
 * (UsageError) and an engine that is down fails on that first call.
 */
export async function openLocalEngine(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: { retry?: RetryPolicy | undefined } = {},
): Promise<EngineClient> {
  return new HttpEngineClient(createLocalTransport(parseDockerHost(env)), options);
}
