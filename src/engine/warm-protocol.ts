// What a warm-connection holder and the commands that use it share: where its
// sockets live, how they are named, and the small control protocol (one JSON
// line asked, one JSON line answered) spoken on its control socket.
//
// A holder serves two unix sockets in a private folder (0700, the user's):
//   <name>.sock  a plain Docker API: each connection is piped to a new
//                direct-streamlocal channel to the host's Docker socket, so
//                `DOCKER_HOST=unix://<name>.sock docker ps` works as well;
//   <name>.ctl   control: hello (version, pid, host), disk-free, user-ids, agent-forward, stop.
// <name> is a hash over everything that decides whether the connection may be
// reused (see warmConnectionName), pks's version included.

import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { ExitCode, OperationError, PksError, UsageError, errorMessage, isPksError } from '../common/errors.js';
import type { ErrorCode } from '../common/error-codes.js';
import * as z from '../common/zod-mini.js';
import packageJson from '../../package.json' with { type: 'json' };
import { pksHome } from '../store/remote-host-store.js';

// Set by the build (scripts/build.mjs); absent when run from source.
declare const __PKS_BUILD_ID__: string | undefined;

/** This pks's version and build: a holder of any other build is never used (its socket has another name). */
export const HOLDER_VERSION = `${packageJson.version}+${typeof __PKS_BUILD_ID__ === 'string' ? __PKS_BUILD_ID__ : 'source'}`;

/**
 * The folder of the holders' sockets: $XDG_RUNTIME_DIR/pks when that is a
 * folder of the user's own with mode 0700 (the system's place for sockets:
 * in memory, emptied at logout); else ~/.pks/run. A PKS_HOME set explicitly
 * wins (<PKS_HOME>/run), so each test sandbox keeps its own holders.
 */
export function warmRunDir(env: NodeJS.ProcessEnv): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if ((env.PKS_HOME ?? '') === '' && runtime !== undefined && path.isAbsolute(runtime) && isPrivateDir(runtime)) return path.join(runtime, 'pks');
  return path.join(pksHome(env), 'run');
}

function isPrivateDir(dir: string): boolean {
  try {
    const info = statSync(dir);
    const uid = process.getuid?.();
    return info.isDirectory() && (uid === undefined || info.uid === uid) && (info.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** Default idle time before a holder exits. */
export const DEFAULT_IDLE_SECONDS = 600;

/** PKS_PERSIST_IDLE_SECONDS, validated: how long a holder waits, unused, before it exits. */
export function idleSeconds(env: NodeJS.ProcessEnv): number {
  const raw = env.PKS_PERSIST_IDLE_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_IDLE_SECONDS;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`PKS_PERSIST_IDLE_SECONDS must be a whole number of seconds (1 or more), not "${raw}".`, {
      hint: `Unset it for the default (${DEFAULT_IDLE_SECONDS} s), or turn warm connections off with PKS_NO_PERSIST=1.`,
    });
  }
  return value;
}

/** PKS_NO_PERSIST=1 (what the global --no-persist sets): one SSH connection per command, as before. */
export function persistenceDisabled(env: NodeJS.ProcessEnv): boolean {
  const value = env.PKS_NO_PERSIST;
  return value !== undefined && value !== '' && value !== '0';
}

/** A socket path longer than this does not fit sockaddr_un everywhere (104 on macOS, 108 on Linux). */
export const MAX_SOCKET_PATH = 100;

export interface WarmPaths {
  name: string;
  api: string;
  control: string;
  lock: string;
}

/** The holder's name: a hash of the parts that identify the connection, and this pks build. */
export function warmConnectionName(identity: unknown): string {
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 24);
}

export function warmPaths(runDir: string, name: string): WarmPaths {
  const base = path.join(runDir, name);
  return { name, api: `${base}.sock`, control: `${base}.ctl`, lock: `${base}.lock` };
}

export const helloSchema = z.object({
  version: z.string(),
  pid: z.number(),
  hostId: z.string(),
  name: z.string(),
  login: z.string(),
  startedAt: z.string(),
});
export type HolderHello = z.infer<typeof helloSchema>;

/** `tcp`: the connection then carries a direct-tcpip channel to host:port (after one answer line). */
export type ControlRequest =
  | { op: 'hello' }
  | { op: 'stop' }
  | { op: 'disk-free'; path: string }
  | { op: 'user-ids' }
  /** Serve this machine's agent socket `agentSocket` in the host folder named `key`, for as long as the holder lives. */
  | { op: 'agent-forward'; key: string; agentSocket: string }
  | { op: 'tcp'; host: string; port: number };

export const agentForwardAnswerSchema = z.union([z.object({ hostDir: z.string() }), z.object({ error: z.unknown() })]);

/**
 * Sends one control request and returns the answer; undefined when nobody
 * answers (no socket, a stale socket file, a holder that just died).
 */
export async function controlRequest(socketPath: string, request: ControlRequest, timeoutMs = 3_000): Promise<unknown> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    let buffer = '';
    const finish = (value: unknown): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      try {
        finish(JSON.parse(buffer.slice(0, end)) as unknown);
      } catch {
        finish(undefined);
      }
    });
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
  });
}

/**
 * True when nothing listens on the socket file (connection refused) or there
 * is no file: what a crashed holder leaves. A holder that is only slow to
 * answer is not "refused".
 */
export function nobodyListens(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' || error.code === 'ENOENT'));
  });
}

/** The holder behind `paths`, if one answers (any version: the caller compares). */
export async function helloOf(controlPath: string): Promise<HolderHello | undefined> {
  const answer = helloSchema.safeParse(await controlRequest(controlPath, { op: 'hello' }));
  return answer.success ? answer.data : undefined;
}

const errorSchema = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.optional(z.string()),
  details: z.optional(z.array(z.string())),
  exitCode: z.number(),
});

/** How a holder reports its failure to the command that started it. */
export function serializeError(error: unknown): z.infer<typeof errorSchema> {
  if (isPksError(error)) {
    return { code: error.code, message: error.message, hint: error.hint, details: error.details, exitCode: error.exitCode };
  }
  return { code: 'E_ENGINE_CONNECTION', message: `The warm connection could not be set up: ${errorMessage(error)}.`, details: [], exitCode: ExitCode.Operation };
}

/** The holder's error as the command's own: same code, message, hint and exit code. */
export function deserializeError(value: unknown): PksError {
  const parsed = errorSchema.safeParse(value);
  if (!parsed.success) return new OperationError('E_ENGINE_CONNECTION', 'The warm connection holder failed without saying why.');
  const { code, message, hint, details, exitCode } = parsed.data;
  const options = { hint, details: details ?? [] };
  if (exitCode === ExitCode.Usage) return new UsageError(message, { ...options, code: code as ErrorCode });
  if (exitCode === ExitCode.Operation) return new OperationError(code as ErrorCode, message, options);
  return new PksError(code as ErrorCode, message, exitCode as ExitCode, options);
}

export const readySchema = z.union([
  z.object({ ok: z.literal(true), warnings: z.array(z.string()) }),
  z.object({ ok: z.literal(false), error: z.unknown(), warnings: z.array(z.string()), transient: z.optional(z.boolean()) }),
]);
export type ReadyReport = z.infer<typeof readySchema>;
