// Warm connections from the commands' side: whether a command goes through a
// holder (see src/engine/warm-engine.ts) or connects directly, which hosts
// are warm, and ending holders (`pks remote disconnect`).

import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  controlRequest,
  helloOf,
  idleSeconds,
  nobodyListens,
  openLiveWarmEngine,
  openSshEngine,
  openWarmEngine,
  persistenceDisabled,
  warmRunDir,
  type EngineClient,
  type HolderHello,
  type SshEngineOptions,
  type WarmEngine,
} from '../../engine/index.js';
import { holderLauncher } from './warm-launch.js';

/**
 * The warm connection to `hostId`, started if needed; undefined when warm
 * connections are off (--no-persist, PKS_NO_PERSIST=1), pks runs in-process,
 * the run folder is not safe, or a prompt is needed (first-time host key,
 * key passphrase): a direct connection is then the way.
 */
export async function openWarm(hostId: string, options: SshEngineOptions, env: NodeJS.ProcessEnv, fallback = true): Promise<WarmEngine | undefined> {
  const launch = holderLauncher();
  // Accepting a new host key records it and says so: done by the command itself.
  if (launch === undefined || persistenceDisabled(env) || options.acceptNewHostKey === true) return undefined;
  return openWarmEngine({ ...options, hostId, env, idleSeconds: idleSeconds(env), launch, fallback });
}

/**
 * The engine of a registered host: through its warm connection when a
 * holder answers; else directly (as with --no-persist, so a cold command is
 * no slower), and once the command is done with it, a holder is started in
 * the background for the next command.
 */
export async function openHostEngine(hostId: string, options: SshEngineOptions, env: NodeJS.ProcessEnv): Promise<EngineClient> {
  const launch = holderLauncher();
  if (launch === undefined || persistenceDisabled(env) || options.acceptNewHostKey === true) return openSshEngine(options);
  const warm = await openLiveWarmEngine({ ...options, hostId, env, idleSeconds: idleSeconds(env), launch });
  if (warm !== undefined && 'engine' in warm) return warm.engine;
  const engine = await openSshEngine(options);
  if (warm === undefined) return engine;
  // The SSH agent forwards this command makes end with its connection: the
  // holder takes them over, so that the containers keep the agent.
  const agentForwards: Array<{ key: string; agentSocket: string }> = [];
  const forwardAgent = engine.forwardAgent.bind(engine);
  engine.forwardAgent = async (key, agentSocket) => {
    const forward = await forwardAgent(key, agentSocket);
    if (forward !== undefined) agentForwards.push({ key, agentSocket });
    return forward;
  };
  // Started as the command ends (its own work is not slowed): the holder logs in by itself.
  const close = engine.close.bind(engine);
  engine.close = async () => {
    await close();
    await warm.startInBackground(agentForwards).catch(() => undefined);
  };
  return engine;
}

export interface WarmHolder extends HolderHello {
  controlSocket: string;
}

/** The holders that answer in this PKS_HOME; socket files nobody answers on are removed. */
export async function warmHolders(env: NodeJS.ProcessEnv): Promise<WarmHolder[]> {
  const dir = warmRunDir(env);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const controls = names.filter((name) => name.endsWith('.ctl')).map((name) => path.join(dir, name));
  const found = await Promise.all(
    controls.map(async (controlSocket) => {
      const hello = await helloOf(controlSocket);
      if (hello !== undefined) return { ...hello, controlSocket };
      // A stale pair (the holder died): no process behind it. One that is
      // only slow to answer keeps its sockets.
      if (await nobodyListens(controlSocket)) {
        await unlink(controlSocket).catch(() => undefined);
        await unlink(controlSocket.replace(/\.ctl$/, '.sock')).catch(() => undefined);
      }
      return undefined;
    }),
  );
  return found.filter((holder): holder is WarmHolder => holder !== undefined);
}

/** Ends the holders of `hostId` (every holder when undefined) and waits until they are gone; returns them. */
export async function disconnectHolders(env: NodeJS.ProcessEnv, hostId: string | undefined): Promise<WarmHolder[]> {
  const holders = (await warmHolders(env)).filter((holder) => hostId === undefined || holder.hostId === hostId);
  await Promise.all(
    holders.map(async (holder) => {
      await controlRequest(holder.controlSocket, { op: 'stop' });
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && (await helloOf(holder.controlSocket)) !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }),
  );
  return holders;
}
