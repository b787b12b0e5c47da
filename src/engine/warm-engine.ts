// A remote engine reached through a warm connection: a holder process (see
// warm-holder.ts) keeps the verified SSH connection to the host and serves
// the host's Docker API on a private unix socket. This module finds a live
// holder for the connection's identity, or starts one (one command wins a
// lock file; the others wait and connect to it), and returns an engine client
// whose connections are plain unix-socket connections to that holder.

import { lstat, stat, unlink } from 'node:fs/promises';
import { Agent, type ClientRequestArgs } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { OperationError, errorMessage, isPksError, systemErrorCode, type PksError } from '../common/errors.js';
import * as z from '../common/zod-mini.js';
import { ensurePrivateDir, withFileLock } from '../store/files.js';
import { loginOf, resolveSshOptions, sshOptionsIdentity, type ResolvedSshOptions, type SshConnectionOptions } from '../ssh/index.js';
import { withRetry } from '../common/retry.js';
import { DEFAULT_DOCKER_SOCKET } from '../common/defaults.js';
import { HttpEngineClient, type EngineClient } from './engine-client.js';
import type { SshEngineOptions } from './ssh-engine.js';
import { fixedToolEndpoint } from './tool-endpoint.js';
import type { EngineTransport } from './transport.js';
import type { HolderRequest } from './warm-holder.js';
import {
  HOLDER_VERSION,
  MAX_SOCKET_PATH,
  agentForwardAnswerSchema,
  controlRequest,
  deserializeError,
  helloOf,
  readySchema,
  warmConnectionName,
  warmPaths,
  warmRunDir,
  type WarmPaths,
} from './warm-protocol.js';

/**
 * Starts a detached holder with `request` (JSON) on its stdin; resolves with
 * the first line it prints ('' if none), or, with `background`, as soon as
 * the request is handed over (with '': nobody waits for the holder).
 */
export type HolderLauncher = (request: string, options?: { background?: boolean }) => Promise<string>;

export interface WarmEngineOptions extends SshEngineOptions {
  hostId: string;
  env: NodeJS.ProcessEnv;
  idleSeconds: number;
  launch: HolderLauncher;
  /** Return undefined (connect directly) where that does better than the holder's error; default true. */
  fallback?: boolean;
}

/** No holder answers yet: the caller connects directly and, when done, starts one for the next command. */
export interface WarmLater {
  /** Starts the holder; it sets up `agentForwards` (the ones the command made directly) once ready. */
  startInBackground: (agentForwards?: HolderRequest['agentForwards']) => Promise<void>;
}

export interface WarmEngine {
  engine: EngineClient;
  /** The holder's Docker API socket (for DOCKER_HOST=unix://…). */
  apiSocket: string;
}

/**
 * Holder failures a direct connection handles better: what only asking the
 * user gets past (a holder cannot ask), and a host whose Docker socket does
 * not answer (the command reports it at the step where it looks, as always).
 */
function directIsBetter(error: PksError, prompts: SshConnectionOptions['prompts']): boolean {
  if (error.code === 'E_HOST_KEY_UNKNOWN') return prompts?.confirmHostKey !== undefined;
  if (error.code === 'E_SSH_KEY_ENCRYPTED') return prompts?.passphrase !== undefined;
  return error.code === 'E_REMOTE_SOCKET';
}

/** The files whose content decides trust: a change to one of them makes another holder. */
function trustFiles(options: ResolvedSshOptions): string[] {
  return [
    ...options.knownHostsFiles,
    ...options.globalKnownHostsFiles,
    ...(options.knownHostsAcceptFile === undefined ? [] : [options.knownHostsAcceptFile]),
    ...(options.revokedHostKeys === undefined ? [] : [options.revokedHostKeys]),
    ...(options.privateKeyPath === undefined ? [] : [options.privateKeyPath]),
    ...options.identityFiles,
    ...(options.jump === undefined ? [] : trustFiles(options.jump)),
  ];
}

async function fileStamp(file: string): Promise<unknown> {
  try {
    const info = await stat(file);
    return [file, info.dev, info.ino, info.size, info.mtimeMs];
  } catch {
    return [file, null];
  }
}

/** The plain (serialisable) SSH options, for the holder's stdin. */
function plainSshOptions(options: ResolvedSshOptions): HolderRequest['ssh'] {
  const { prompts: _prompts, retry: _retry, jump, ...plain } = options;
  return { ...plain, jump: jump === undefined ? undefined : (plainSshOptions(jump) as SshConnectionOptions) };
}

/**
 * The run folder, if it is safe to serve sockets from: the user's own, 0700.
 * Otherwise undefined (and a direct connection is used, with a warning).
 */
async function safeRunDir(env: NodeJS.ProcessEnv, warn: ((message: string) => void) | undefined): Promise<string | undefined> {
  const dir = warmRunDir(env);
  try {
    await ensurePrivateDir(dir);
    const info = await lstat(dir);
    const uid = process.getuid?.();
    if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o077) !== 0) {
      warn?.(`Not keeping a warm SSH connection: ${dir} must be a folder of yours with mode 0700 (pks does not change a folder it did not create).`);
      return undefined;
    }
    return dir;
  } catch (error) {
    warn?.(`Not keeping a warm SSH connection: ${errorMessage(error)}`);
    return undefined;
  }
}

/**
 * The engine through a warm connection, or undefined when this connection
 * cannot be kept warm (unsafe folder, socket path too long, or a holder
 * failure only a prompt can resolve): the caller then connects directly.
 */
export async function openWarmEngine(options: WarmEngineOptions): Promise<WarmEngine | undefined> {
  const warm = await prepareWarm(options);
  if (warm === undefined) return undefined;
  try {
    await warm.ensure();
  } catch (error) {
    if ((options.fallback ?? true) && isPksError(error) && directIsBetter(error, options.prompts)) return undefined;
    throw error;
  }
  return warm.connect();
}

/**
 * The engine through the holder that answers for this connection now, if
 * one does; else (no holder yet, or one of another build) what starts one
 * in the background: the caller connects directly meanwhile, as without
 * warm connections, and never waits for a holder's SSH login. Undefined when
 * this connection cannot be kept warm.
 */
export async function openLiveWarmEngine(options: WarmEngineOptions): Promise<WarmEngine | WarmLater | undefined> {
  const warm = await prepareWarm(options);
  if (warm === undefined) return undefined;
  if ((await helloOf(warm.paths.control))?.version === HOLDER_VERSION) return warm.connect();
  return {
    // The holder takes the start lock itself: whoever comes first starts it, the others end at once.
    startInBackground: async (agentForwards: HolderRequest['agentForwards'] = []) => {
      // Another command's holder came up meanwhile, or is starting.
      if ((await lstat(warm.paths.lock).catch(() => undefined)) !== undefined) return;
      if ((await helloOf(warm.paths.control))?.version === HOLDER_VERSION) return;
      await options.launch(JSON.stringify({ ...warm.request, background: true, agentForwards: agentForwards.length === 0 ? undefined : agentForwards } satisfies HolderRequest), { background: true });
    },
  };
}

/** Where this connection's holder lives and what starts it; undefined when it cannot be kept warm (unsafe folder, socket path too long). */
async function prepareWarm(options: WarmEngineOptions) {
  const { socketPath = DEFAULT_DOCKER_SOCKET, knownApiVersion, description, hostId, env, idleSeconds, launch, fallback: _fallback, ...connectionOptions } = options;
  const resolved = resolveSshOptions(connectionOptions);
  const runDir = await safeRunDir(env, resolved.prompts.warn);
  if (runDir === undefined) return undefined;
  const identity = [HOLDER_VERSION, hostId, socketPath, sshOptionsIdentity(resolved), await Promise.all(trustFiles(resolved).map(fileStamp))];
  const paths = warmPaths(runDir, warmConnectionName(identity));
  if (paths.control.length > MAX_SOCKET_PATH) return undefined;
  const request: HolderRequest = {
    hostId,
    name: paths.name,
    runDir,
    socketPath,
    idleSeconds,
    reconnecting: false,
    ssh: plainSshOptions(resolved),
    // ServerAliveInterval/ServerAliveCountMax from ssh_config, when set there: the holder's own otherwise.
    keepalive: { intervalMs: connectionOptions.keepaliveIntervalMs, countMax: connectionOptions.keepaliveCountMax },
    acceptHostKeyWith: resolved.prompts.acceptHostKeyWith,
  };
  // After a holder this command used went away, starting one is a reconnection.
  const ensure = (reconnecting = false): Promise<void> =>
    ensureHolder(paths, { ...request, reconnecting }, launch, resolved, connectionOptions.readyTimeoutMs ?? 10_000);
  const connect = async (): Promise<WarmEngine> => {
    await checkSocketOwner(paths.api);
    const transport = createWarmTransport(paths, description ?? `ssh://${resolved.username}@${resolved.host}:${resolved.port}`, hostId, () => ensure(true));
    return { engine: new HttpEngineClient(transport, { retry: options.retry, knownApiVersion }), apiSocket: paths.api };
  };
  return { paths, request, ensure, connect };
}

/** The API socket must be a socket of this user's, mode 0600 (the folder already keeps others out). */
async function checkSocketOwner(socketPath: string): Promise<void> {
  const info = await lstat(socketPath).catch(() => undefined);
  const uid = process.getuid?.();
  if (info === undefined || !info.isSocket() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o077) !== 0) {
    throw new OperationError('E_WARM_UNAVAILABLE', `${socketPath} is not a private socket of yours: pks will not send engine requests through it.`, {
      hint: `Remove it (pks remote disconnect --all), or run with --no-persist.`,
    });
  }
}

/** A live holder of this build answers on `paths`, or one is started (at most one, whoever races). */
async function ensureHolder(paths: WarmPaths, request: HolderRequest, launch: HolderLauncher, resolved: ResolvedSshOptions, readyTimeoutMs: number): Promise<void> {
  if ((await helloOf(paths.control))?.version === HOLDER_VERSION) return;
  // Connection set-up may retry a few times: give the winner that long.
  const timeoutMs = readyTimeoutMs * 4 + 10_000;
  await withFileLock(
    paths.lock,
    async () => {
      if ((await helloOf(paths.control))?.version === HOLDER_VERSION) return;
      // Nothing answers: socket files here are left by a holder that died.
      await unlink(paths.api).catch(() => undefined);
      await unlink(paths.control).catch(() => undefined);
      // The holder tries once; retrying transient failures happens here,
      // announced by the command as for a direct connection.
      await withRetry(() => startHolder(request, launch, resolved), {
        policy: resolved.retry,
        isTransient: (error) => error instanceof Error && transientFailures.has(error),
        operation: request.reconnecting ? 'SSH reconnection' : 'SSH connection',
        target: loginOf(resolved),
        reason: (error) => errorMessage(error).replace(/\.$/, ''),
      });
    },
    { timeoutMs, staleMs: timeoutMs },
  );
}

/** Holder failures worth another try (what SshConnection retries: timeouts, a refused reconnection). */
const transientFailures = new WeakSet<Error>();

async function startHolder(request: HolderRequest, launch: HolderLauncher, resolved: ResolvedSshOptions): Promise<void> {
  const line = await launch(JSON.stringify(request));
  let report;
  try {
    report = readySchema.parse(JSON.parse(line));
  } catch {
    throw new OperationError('E_ENGINE_CONNECTION', `The warm SSH connection to ${request.hostId} could not be started (the holder process ended without a report).`, {
      hint: 'Retry; if it persists, run the command with --no-persist (or PKS_NO_PERSIST=1).',
    });
  }
  for (const warning of report.warnings) resolved.prompts.warn?.(warning);
  if (report.ok) return;
  const error = deserializeError(report.error);
  if (report.transient === true) transientFailures.add(error);
  throw error;
}

const RESTART_CODES = new Set(['ENOENT', 'ECONNREFUSED']);

function connectUnix(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Unix-socket connections to the holder. A holder that went away (crashed,
 * idled out, stopped by `remote disconnect`) is started again once for this
 * command: a request not yet sent goes through the new one.
 */
class WarmAgent extends Agent {
  private restarted: Promise<void> | undefined;

  constructor(
    private readonly socketPath: string,
    private readonly restart: () => Promise<void>,
  ) {
    super({ keepAlive: true });
  }

  override createConnection(_options: ClientRequestArgs, callback?: (error: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    connectUnix(this.socketPath)
      .catch(async (error: unknown) => {
        const code = systemErrorCode(error);
        if (code === undefined || !RESTART_CODES.has(code) || this.restarted !== undefined) throw error;
        this.restarted = this.restart();
        await this.restarted;
        return connectUnix(this.socketPath);
      })
      .then(
        (socket) => callback?.(null, socket),
        (error: unknown) => callback?.(error instanceof Error ? error : new Error(String(error)), undefined as unknown as Duplex),
      );
    return undefined;
  }
}

const diskFreeSchema = z.object({ bytes: z.nullable(z.number()) });
const userIdsSchema = z.object({ ids: z.nullable(z.object({ uid: z.number(), gid: z.number() })) });

const tcpAnswerSchema = z.object({ ok: z.boolean(), message: z.optional(z.string()) });

/** A direct-tcpip channel through the holder: one request line on its control socket, one answer line, then the channel's bytes. */
async function holderTcp(controlPath: string, host: string, port: number): Promise<Socket> {
  const socket = await connectUnix(controlPath);
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf(0x0a);
      if (end < 0) return;
      socket.off('data', onData).off('error', fail).off('close', onClose);
      socket.pause();
      let answer;
      try {
        answer = tcpAnswerSchema.parse(JSON.parse(buffer.subarray(0, end).toString('utf8')));
      } catch {
        fail(new Error('the warm connection holder gave no valid answer'));
        return;
      }
      if (!answer.ok) {
        fail(new Error(answer.message ?? 'the host refused the connection'));
        return;
      }
      if (end + 1 < buffer.length) socket.unshift(buffer.subarray(end + 1));
      resolve(socket);
    };
    const onClose = (): void => fail(new Error('the warm connection holder closed the connection'));
    socket.on('data', onData).once('error', fail).once('close', onClose);
    socket.write(`${JSON.stringify({ op: 'tcp', host, port })}\n`);
  });
}

function createWarmTransport(paths: WarmPaths, target: string, hostId: string, restart: () => Promise<void>): EngineTransport {
  const agent = new WarmAgent(paths.api, restart);
  return {
    kind: 'ssh',
    target,
    agent,
    connectOptions: { socketPath: paths.api },
    connectionError: (error) =>
      isPksError(error)
        ? error
        : new OperationError('E_ENGINE_CONNECTION', `The warm SSH connection to the engine (${target}) failed: ${errorMessage(error)}.`, {
            // The holder closes a connection it cannot pass on (the engine
            // stopped, the link died): the step-by-step check says which.
            hint:
              `Run the command again (a new connection is set up); if it fails again, \`pks remote test ${hostId}\` checks the host step by step. ` +
              `\`pks remote disconnect ${hostId}\` ends the warm connection; --no-persist avoids it.`,
            cause: error,
          }),
    diskFree: async (path) => {
      const answer = diskFreeSchema.safeParse(await controlRequest(paths.control, { op: 'disk-free', path }, 30_000));
      return answer.success ? (answer.data.bytes ?? undefined) : undefined;
    },
    // The holder's socket is already a plain Docker API endpoint.
    toolEndpoint: async () => fixedToolEndpoint(`unix://${paths.api}`),
    // The holder keeps the forward (and its connection) after this command ends.
    forwardAgent: async (key, agentSocket) => {
      const answer = agentForwardAnswerSchema.safeParse(await controlRequest(paths.control, { op: 'agent-forward', key, agentSocket }, 30_000));
      if (!answer.success) throw new OperationError('E_SSH_AGENT_FORWARD', `The warm SSH connection to ${hostId} did not forward the SSH agent.`, { hint: `\`pks remote disconnect ${hostId}\` ends it; the next command starts a new one.` });
      if ('error' in answer.data) throw deserializeError(answer.data.error);
      return { hostDir: answer.data.hostDir, close: async () => undefined };
    },
    userIds: async () => {
      const answer = userIdsSchema.safeParse(await controlRequest(paths.control, { op: 'user-ids' }, 30_000));
      return answer.success ? (answer.data.ids ?? undefined) : undefined;
    },
    openTcp: async (host, port) => {
      try {
        return await holderTcp(paths.control, host, port);
      } catch (error) {
        // A holder that went away is started again, once, as for API calls.
        const code = systemErrorCode(error);
        if (code === undefined || !RESTART_CODES.has(code)) throw error;
        await restart();
        return holderTcp(paths.control, host, port);
      }
    },
    close: async () => {
      agent.destroy();
    },
  };
}
