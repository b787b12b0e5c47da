// The holder: a detached pks process that keeps one verified SSH connection to
// a host and serves it to later commands through two unix sockets only the
// user can open (see warm-protocol.ts). It connects with the same code as a
// command does (SshConnection: host key policy, credentials, retry), checks
// the remote Docker socket, and only then reports "ready" to the command that
// started it; a failure is reported instead, and that command prints it as
// its own. It exits when unused for the idle time, when told to stop, when
// the SSH link dies (keepalive), after the machine slept, or when its socket
// file is removed (a deleted PKS_HOME, a test's sandbox).

import { chmod, lstat, unlink } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { withoutUndefined } from '../common/defined.js';
import * as z from '../common/zod-mini.js';
import { errorMessage, isPksError } from '../common/errors.js';
import { NO_RETRY } from '../common/retry.js';
import { RemoteDiskProbe, acquireSshConnection, forwardAgentToHost, isTransientConnectError, remoteUserIds, type AgentForward, type SshConnectionOptions } from '../ssh/index.js';
import { withFileLock } from '../store/files.js';
import { joinStreams, pipeThrough } from './join-streams.js';
import { remoteSocketError } from './ssh-transport.js';
import { listen } from './tool-endpoint.js';
import { HOLDER_VERSION, helloOf, serializeError, warmPaths, type ControlRequest, type HolderHello, type ReadyReport } from './warm-protocol.js';

/** What the starting command sends on the holder's stdin. */
export interface HolderRequest {
  hostId: string;
  name: string;
  runDir: string;
  /** The Docker socket on the host. */
  socketPath: string;
  idleSeconds: number;
  /** Set when a holder this command used went away: a refused connection is then worth retrying. */
  reconnecting: boolean;
  /** Plain SSH options (no prompts: nobody can answer a holder). */
  ssh: Omit<SshConnectionOptions, 'prompts' | 'retry'>;
  /** ServerAliveInterval (ms) and ServerAliveCountMax as ssh_config sets them; the holder's own where unset. */
  keepalive?: { intervalMs?: number | undefined; countMax?: number | undefined } | undefined;
  /**
   * Started by a command that connected directly and does not wait: the
   * holder takes the start lock itself and ends at once if another holder
   * answers by then.
   */
  background?: boolean | undefined;
  /** SSH agent forwards to set up once ready: those a command that connected directly made, kept for its containers. */
  agentForwards?: Array<{ key: string; agentSocket: string }> | undefined;
  acceptHostKeyWith?: string | undefined;
}

const requestSchema = z.object({
  hostId: z.string(),
  name: z.string().check(z.regex(/^[0-9a-f]+$/)),
  runDir: z.string(),
  socketPath: z.string(),
  idleSeconds: z.number().check(z.int(), z.positive()),
  reconnecting: z.boolean(),
  ssh: z.looseObject({}),
  keepalive: z.optional(z.object({ intervalMs: z.optional(z.number().check(z.int(), z.minimum(0))), countMax: z.optional(z.number().check(z.int(), z.positive())) })),
  background: z.optional(z.boolean()),
  agentForwards: z.optional(z.array(z.object({ key: z.string(), agentSocket: z.string() }))),
  acceptHostKeyWith: z.optional(z.string()),
});

/** How often the holder checks its socket file and the clock. */
const WATCH_INTERVAL_MS = 2_000;
/** A tick this late means the machine slept: the link is presumed dead (the next command starts afresh). */
const SLEPT_AFTER_MS = 30_000;
/** The holder notices a dead link within ~interval × count. */
const KEEPALIVE_INTERVAL_MS = 5_000;
const KEEPALIVE_COUNT_MAX = 3;
/** How long a holder started in the background waits for the start lock (another start with retries). */
const START_LOCK_MS = 60_000;

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

/**
 * Runs a holder: reads its request from `input`, reports one JSON line on
 * `report` and resolves with the exit code once it is done holding.
 */
export async function runHolder(input: Readable, report: Writable): Promise<number> {
  const warnings: string[] = [];
  const say = (value: ReadyReport): Promise<void> =>
    new Promise((resolve) => report.end(`${JSON.stringify(value)}\n`, () => resolve()));
  let request: HolderRequest;
  try {
    request = requestSchema.parse(JSON.parse(await readAll(input))) as HolderRequest;
  } catch (error) {
    await say({ ok: false, error: serializeError(error), warnings });
    return 2;
  }
  const paths = warmPaths(request.runDir, request.name);
  // Released once the sockets listen (or set-up failed).
  let unlock: (() => Promise<void>) | undefined;
  if (request.background === true) {
    try {
      unlock = await holdFileLock(paths.lock, { timeoutMs: START_LOCK_MS, staleMs: START_LOCK_MS });
    } catch (error) {
      await say({ ok: false, error: serializeError(error), warnings });
      return 1;
    }
    if ((await helloOf(paths.control))?.version === HOLDER_VERSION) {
      await unlock();
      await say({ ok: true, warnings });
      return 0;
    }
  }
  const lease = acquireSshConnection({
    ...request.ssh,
    keepaliveIntervalMs: request.keepalive?.intervalMs ?? KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: request.keepalive?.countMax ?? KEEPALIVE_COUNT_MAX,
    // One try: the command retries, announcing it (warm-engine.ts).
    retry: NO_RETRY,
    prompts: withoutUndefined({ warn: (message: string) => warnings.push(message), acceptHostKeyWith: request.acceptHostKeyWith }),
  } as SshConnectionOptions);
  const connection = lease.connection;
  let client;
  let first: ClientChannel;
  try {
    client = await connection.ready();
    // The engine's socket must answer now, so that a missing engine is
    // reported (precisely) by the command that started the holder.
    try {
      first = await connection.openStreamLocal(request.socketPath);
    } catch (error) {
      throw await remoteSocketError(connection, request.socketPath, error);
    }
  } catch (error) {
    await unlock?.();
    await lease.release();
    await say({ ok: false, error: serializeError(error), warnings, transient: isTransientConnectError(error, request.reconnecting) });
    return 1;
  }

  let dying = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const stop = (code: number): void => {
    if (dying) return;
    dying = true;
    finish(code);
  };
  client.once('close', () => stop(0));

  let active = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  const idle = (): void => {
    clearTimeout(idleTimer);
    if (active === 0) idleTimer = setTimeout(() => stop(0), request.idleSeconds * 1000);
  };

  const spare = new SpareChannels(() => connection.openStreamLocal(request.socketPath), first);
  const disk = new RemoteDiskProbe(connection);
  disk.prepare();
  /** A connection in use keeps the holder from idling out until it closes. */
  const inUse = (local: Socket): void => {
    active++;
    idle();
    local.once('close', () => {
      active--;
      idle();
    });
  };

  const api = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (local) => {
    inUse(local);
    pipeToEngine(local);
  });
  const pipeToEngine = (local: Socket): void => {
    local.on('error', () => local.destroy());
    if (dying) {
      local.destroy();
      return;
    }
    // A channel that closes (the engine hung up, or the link died) ends the
    // local connection. The host refusing the channel (its engine stopped,
    // say) ends the holder, so that the next command's new holder reports
    // precisely why.
    pipeThrough(local, () => spare.take(), (error) => {
      if (!isPksError(error)) stop(0);
    });
  };

  const hello: HolderHello = {
    version: HOLDER_VERSION,
    pid: process.pid,
    hostId: request.hostId,
    name: request.name,
    login: connection.login,
    startedAt: new Date().toISOString(),
  };
  const control = createServer((socket) => {
    let buffer = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf(0x0a);
      if (end < 0) return;
      socket.off('data', onData);
      let parsed: ControlRequest;
      try {
        parsed = JSON.parse(buffer.subarray(0, end).toString('utf8')) as ControlRequest;
      } catch {
        socket.destroy();
        return;
      }
      if (parsed.op === 'tcp') {
        socket.pause();
        pipeToTcp(socket, parsed, buffer.subarray(end + 1));
        return;
      }
      void answer(parsed).then((value) => socket.end(`${JSON.stringify(value)}\n`));
    };
    socket.on('data', onData);
  });
  // The agent forwards asked for, by container: they live as long as the holder.
  const agentForwards = new Map<string, { agentSocket: string; forward: Promise<AgentForward> }>();
  const forwardAgent = async (key: string, agentSocket: string): Promise<unknown> => {
    const known = agentForwards.get(key);
    // A new login's agent replaces the one forwarded before.
    if (known !== undefined && known.agentSocket !== agentSocket) {
      agentForwards.delete(key);
      await (await known.forward.catch(() => undefined))?.close();
    }
    let entry = agentForwards.get(key);
    if (entry === undefined) {
      // Using the agent is using the connection: the idle time starts again.
      entry = { agentSocket, forward: forwardAgentToHost(connection, key, agentSocket, () => idle()) };
      agentForwards.set(key, entry);
    }
    try {
      return { hostDir: (await entry.forward).hostDir };
    } catch (error) {
      agentForwards.delete(key);
      return { error: serializeError(error) };
    }
  };

  // A forwarded port: after one answer line, the connection carries the
  // bytes of a direct-tcpip channel to the container's address. It counts as
  // use, so the holder does not idle out under a running forward.
  const pipeToTcp = (local: Socket, request: Extract<ControlRequest, { op: 'tcp' }>, early: Buffer): void => {
    if (dying || typeof request.host !== 'string' || !Number.isInteger(request.port)) {
      local.destroy();
      return;
    }
    inUse(local);
    connection.openTcp(request.host, request.port).then(
      (channel) => {
        if (local.destroyed) {
          channel.destroy();
          return;
        }
        local.write(`${JSON.stringify({ ok: true })}\n`);
        if (early.length > 0) channel.write(early);
        joinStreams(local, channel);
      },
      (error: unknown) => local.end(`${JSON.stringify({ ok: false, message: errorMessage(error) })}\n`),
    );
  };
  const answer = async (message: ControlRequest): Promise<unknown> => {
    switch (message.op) {
      case 'hello':
        return hello;
      case 'stop':
        setImmediate(() => stop(0));
        return { ok: true };
      case 'agent-forward':
        return typeof message.key === 'string' && typeof message.agentSocket === 'string' ? forwardAgent(message.key, message.agentSocket) : { error: null };
      case 'disk-free':
        return { bytes: typeof message.path === 'string' ? ((await disk.free(message.path)) ?? null) : null };
      case 'user-ids':
        return { ids: (await remoteUserIds(connection)) ?? null };
      default:
        return { error: 'unknown request' };
    }
  };

  let apiInode: number;
  try {
    // The caller holds the start lock: socket files left here are stale.
    await unlink(paths.api).catch(() => undefined);
    await unlink(paths.control).catch(() => undefined);
    await listen(api, paths.api);
    await listen(control, paths.control);
    // The folder (0700) already keeps others out; the sockets say so too.
    await chmod(paths.api, 0o600);
    await chmod(paths.control, 0o600);
    apiInode = (await lstat(paths.api)).ino;
  } catch (error) {
    await unlock?.();
    api.close();
    control.close();
    spare.close();
    disk.close();
    await lease.release();
    await say({ ok: false, error: serializeError(error), warnings });
    return 1;
  }
  await unlock?.();
  await say({ ok: true, warnings });
  idle();
  // The agent forwards of the command that started this holder as it ended.
  for (const { key, agentSocket } of request.agentForwards ?? []) void forwardAgent(key, agentSocket);

  let lastTick = Date.now();
  const watch = setInterval(() => {
    const now = Date.now();
    if (now - lastTick > SLEPT_AFTER_MS) stop(0);
    lastTick = now;
    lstat(paths.api).then(
      (info) => {
        if (info.ino !== apiInode) stop(0);
      },
      () => stop(0),
    );
  }, WATCH_INTERVAL_MS);

  const code = await done;
  clearInterval(watch);
  clearTimeout(idleTimer);
  // Remove our socket files only if they are still ours (not a successor's).
  const ours = await lstat(paths.api).then((info) => info.ino === apiInode, () => false);
  if (ours) {
    await unlink(paths.api).catch(() => undefined);
    await unlink(paths.control).catch(() => undefined);
  }
  api.close();
  control.close();
  spare.close();
  disk.close();
  await lease.release().catch(() => undefined);
  return code;
}

/** Channels kept open ahead of need: a spawn asks for about four things at once as it begins. */
export const SPARE_CHANNELS = 4;

/**
 * Channels to the engine kept open ahead of need: a new API connection
 * takes one at once and a replacement is opened meanwhile, so a request does
 * not wait for a channel open (a round trip to the host) first, even when a
 * command opens several connections at the same moment.
 */
export class SpareChannels {
  private readonly ready: Array<Promise<ClientChannel>> = [];
  private closed = false;

  constructor(
    private readonly open: () => Promise<ClientChannel>,
    first: ClientChannel,
    private readonly count = SPARE_CHANNELS,
  ) {
    this.keep(Promise.resolve(first));
    this.fill();
  }

  /** A channel for one API connection: a spare if one is still good, else a new one. */
  async take(): Promise<ClientChannel> {
    // One in flight already when none is ready (a burst larger than the pool).
    this.fill();
    const ready = this.ready.shift();
    this.fill();
    const channel = await ready?.catch(() => undefined);
    return channel !== undefined && !channel.destroyed && channel.readable ? channel : this.open();
  }

  close(): void {
    this.closed = true;
    for (const ready of this.ready.splice(0)) void ready.then((channel) => channel.destroy(), () => undefined);
  }

  private fill(): void {
    while (!this.closed && this.ready.length < this.count) this.keep(this.open());
  }

  private keep(channel: Promise<ClientChannel>): void {
    channel.catch(() => undefined);
    this.ready.push(channel);
    // The engine (or the link) closed an idle spare: drop it, so that take() does not hand it out.
    const drop = (): void => {
      const at = this.ready.indexOf(channel);
      if (at >= 0) this.ready.splice(at, 1);
    };
    void channel.then((open) => open.once('close', drop), drop);
  }
}

/** The lock held until the returned function is called (it resolves once the lock file is gone). */
function holdFileLock(file: string, options: { timeoutMs: number; staleMs: number }): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((done) => (release = done));
    const held = withFileLock(file, async () => {
      resolve(async () => {
        release();
        await held.catch(() => undefined);
      });
      await released;
    }, options);
    held.catch(reject);
  });
}
