// SSH agent forwarding into a dev container. A container spawned with it
// bind-mounts a folder of the engine's host at /run/pks-agent and has
// SSH_AUTH_SOCK=/run/pks-agent/agent.sock in its environment (hooks, exec,
// shells and editor terminals see it); the path never changes, whatever the
// agent's own path on this machine. The socket there reaches this machine's
// agent while a pks command (or a remote host's warm connection) serves it:
// the engine layer's forwardAgent (a relay socket for the local engine,
// OpenSSH's streamlocal forwarding for a remote host).

import { errorMessage } from '../../common/errors.js';
import { socketAnswers, type EngineClient } from '../../engine/index.js';
import type { ContainerInspect } from './container-info.js';
import { LABELS } from './labels.js';

export const AGENT_DIR_IN_CONTAINER = '/run/pks-agent';
export const AGENT_SOCKET_IN_CONTAINER = `${AGENT_DIR_IN_CONTAINER}/agent.sock`;

/** An agent served for this command (or by the warm connection); close() ends what this command serves. */
export interface ServedAgent {
  hostDir: string;
  close(): Promise<void>;
}

/**
 * Serves `agentSocket` for the container named `key` on the engine's host.
 * `expectedDir`: the folder the container bind-mounts (its label), when it
 * exists already. Undefined (with a warning) when it cannot be done.
 */
export async function serveAgent(
  engine: EngineClient,
  key: string,
  agentSocket: string,
  expectedDir: string | undefined,
  warn: (message: string) => void,
): Promise<ServedAgent | undefined> {
  try {
    const forward = await engine.forwardAgent(key, agentSocket);
    if (forward === undefined) return undefined;
    if (expectedDir !== undefined && forward.hostDir !== expectedDir) {
      await forward.close();
      warn(`SSH agent not forwarded: the container mounts ${expectedDir}, not ${forward.hostDir} (spawned by another user of the host?).`);
      return undefined;
    }
    return forward;
  } catch (error) {
    warn(`SSH agent not forwarded: ${errorMessage(error)}`);
    return undefined;
  }
}

/** Serves the agent for an existing container that was spawned with forwarding; undefined otherwise. */
export async function serveAgentFor(
  engine: EngineClient,
  inspect: ContainerInspect,
  agentSocket: string | undefined,
  warn: (message: string) => void,
): Promise<ServedAgent | undefined> {
  const dir = inspect.Config.Labels?.[LABELS.sshAgentDir];
  if (agentSocket === undefined || dir === undefined) return undefined;
  return serveAgent(engine, inspect.Name.replace(/^\//, ''), agentSocket, dir, warn);
}

/** PKS_NO_SSH_AGENT=1 turns forwarding off as --no-ssh-agent does. */
export function agentForwardingDisabled(env: Readonly<Record<string, string | undefined>>): boolean {
  const value = env.PKS_NO_SSH_AGENT;
  return value !== undefined && value !== '' && value !== '0';
}

/**
 * The agent socket to forward: $SSH_AUTH_SOCK when it is set and answers,
 * unless --no-ssh-agent (`flag` false) or PKS_NO_SSH_AGENT turns it off.
 */
export async function agentToForward(env: Readonly<Record<string, string | undefined>>, flag: boolean | undefined): Promise<string | undefined> {
  if (flag === false || agentForwardingDisabled(env)) return undefined;
  const socket = env.SSH_AUTH_SOCK;
  if (socket === undefined || socket === '') return undefined;
  return (await socketAnswers(socket)) ? socket : undefined;
}
