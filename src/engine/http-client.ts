// HTTP/1.1 to the engine over whatever connections the transport's agent
// makes: JSON or streamed request bodies, streamed responses, and connection
// hijacking (exec/attach). Kept to node:http so starting pks loads no client
// library (dockerode costs ~200 ms to import).

import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type RequestOptions } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import type { ErrorCode } from '../common/error-codes.js';
import { OperationError, errorMessage, isPksError, systemErrorCode } from '../common/errors.js';
import { DEFAULT_RETRY_POLICY, TRANSIENT_SYSTEM_CODES, withRetry, type RetryPolicy } from '../common/retry.js';
import { EngineApiError, engineErrorMessage } from './engine-errors.js';
import type { EngineTransport } from './transport.js';

/** A parameter given once per value (`extrahosts=a&extrahosts=b`), where the engine reads a list that way rather than as JSON. */
export class RepeatedParam {
  constructor(readonly values: readonly string[]) {}
}

export type QueryValue = string | number | boolean | null | undefined | RepeatedParam | Readonly<Record<string, unknown>> | readonly unknown[];
export type Query = Readonly<Record<string, QueryValue>>;

export interface EngineRequest {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /** API path without the version prefix, e.g. `/containers/json`. */
  path: string;
  /** Objects and arrays are sent as JSON, as the engine expects for `filters`. */
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  /** Streamed as-is, e.g. a tar for PUT /containers/{id}/archive. */
  bodyStream?: Readable;
  /**
   * The exact length of `bodyStream` when known up front: sent as
   * Content-Length, the body then goes out without chunked framing (two
   * extra small writes per chunk, each its own SSH packet on a remote).
   */
  bodyLength?: number;
  /** Defaults: application/json for `body`, application/x-tar for `bodyStream`. */
  contentType?: string;
  headers?: Readonly<Record<string, string>>;
  /** Non-2xx statuses that are not errors here, e.g. 304 for "already started". */
  okStatuses?: readonly number[];
  /** Limit on the wait for the response headers; the body may stream longer. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface EngineResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** Must be consumed (or destroyed) by the caller to free the connection. */
  body: IncomingMessage;
}

export interface HijackedConnection {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** Raw bidirectional stream; multiplexed frames unless the exec has a TTY (see demux.ts). */
  socket: Duplex;
}

const ERROR_BODY_LIMIT = 1024 * 1024;

/** `?a=1&filters=%7B...%7D`; undefined and null values are left out. */
export function buildQueryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (value instanceof RepeatedParam) {
      for (const item of value.values) params.append(key, item);
      continue;
    }
    params.append(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** Who sent a body, named in the error when it is too long. */
export interface BodySource {
  code: ErrorCode;
  /** Starts the message, e.g. "The engine response". */
  name: string;
}

const ENGINE_BODY: BodySource = { code: 'E_ENGINE_PROTOCOL', name: 'The engine response' };

/** Reads a whole body into memory, refusing more than `limit` bytes. */
export async function readBody(body: IncomingMessage, limit: number, source: BodySource = ENGINE_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit) {
      body.destroy();
      throw new OperationError(source.code, `${source.name} exceeded ${limit} bytes.`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

type Outcome = EngineResponse & { socket?: Duplex };

class RetryOnFreshConnection extends Error {}

/**
 * Methods whose repetition does no harm: reads, and DELETE (removing a
 * container or volume twice ends the same way). POST (create, start, exec)
 * and PUT (archive upload) are never resent.
 */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE']);

/**
 * Failures worth another try: the connection broke (reset, timed out, pipe
 * closed, the SSH connection dropped) or a proxy in front of the engine said
 * it is briefly unavailable (502, 503). An engine that is not running, a
 * refused channel, an error the engine answered or pks's own time limit are
 * not transient. A failed SSH (re)connection is not either: the connection
 * has retried its set-up already.
 */
export function isTransientEngineError(error: unknown): boolean {
  if (error instanceof EngineApiError) return error.statusCode === 502 || error.statusCode === 503;
  if (!isPksError(error)) return false;
  if (error.code === 'E_SSH_DISCONNECTED') return true;
  if (error.code !== 'E_ENGINE_CONNECTION') return false;
  const code = systemErrorCode(error.cause);
  return code !== undefined && TRANSIENT_SYSTEM_CODES.has(code);
}

function retryReason(error: unknown): string {
  if (error instanceof EngineApiError) return `HTTP ${error.statusCode}: ${error.engineMessage}`;
  return errorMessage(isPksError(error) && error.cause !== undefined ? error.cause : error).replace(/\.$/, '');
}

export class EngineHttpClient {
  constructor(
    private readonly transport: EngineTransport,
    private readonly retry: RetryPolicy = DEFAULT_RETRY_POLICY,
  ) {}

  /** Sends a request; resolves with the response once its status is known to be a success. */
  async send(request: EngineRequest, path: string): Promise<EngineResponse> {
    return this.sendWithRetry(request, path, false);
  }

  /** Sends a request asking the engine to hand over the raw connection (HTTP 101). */
  async hijack(request: EngineRequest, path: string): Promise<HijackedConnection> {
    const outcome = await this.sendWithRetry(request, path, true);
    if (outcome.socket === undefined) {
      outcome.body.resume();
      throw new OperationError(
        'E_ENGINE_PROTOCOL',
        `The engine (${this.transport.target}) answered ${request.method ?? 'GET'} ${path} with HTTP ${outcome.statusCode} instead of upgrading the connection.`,
      );
    }
    return { statusCode: outcome.statusCode, headers: outcome.headers, socket: outcome.socket };
  }

  private async sendWithRetry(request: EngineRequest, path: string, upgrade: boolean): Promise<Outcome> {
    const method = request.method ?? 'GET';
    const once = async (): Promise<Outcome> => {
      try {
        return await this.attempt(request, path, upgrade);
      } catch (error) {
        // A kept-alive connection the engine closed while idle fails on first
        // write; an idempotent request is safe to resend on a fresh one (at
        // once: this is how keep-alive works, not a failure).
        if (error instanceof RetryOnFreshConnection) return this.attempt(request, path, upgrade, true);
        throw error;
      }
    };
    if (upgrade || request.bodyStream !== undefined || !IDEMPOTENT_METHODS.has(method)) return once();
    return withRetry(once, {
      policy: this.retry,
      isTransient: isTransientEngineError,
      operation: `${method} ${request.path}`,
      target: this.transport.target,
      reason: retryReason,
      signal: request.signal,
    });
  }

  private attempt(request: EngineRequest, path: string, upgrade: boolean, isRetry = false): Promise<Outcome> {
    const method = request.method ?? 'GET';
    const headers: Record<string, string> = { ...request.headers };
    let payload: Buffer | undefined;
    if (request.body !== undefined) {
      payload = Buffer.from(JSON.stringify(request.body));
      headers['Content-Type'] = request.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    } else if (request.bodyStream !== undefined) {
      headers['Content-Type'] = request.contentType ?? 'application/x-tar';
      if (request.bodyLength !== undefined) headers['Content-Length'] = String(request.bodyLength);
    }
    if (upgrade) {
      headers['Connection'] = 'Upgrade';
      headers['Upgrade'] = 'tcp';
    }
    const fullPath = path + buildQueryString(request.query);
    return new Promise<Outcome>((resolve, reject) => {
      const options: RequestOptions & { servername: string } = {
        ...this.transport.connectOptions,
        agent: this.transport.agent,
        method,
        path: fullPath,
        headers,
        // No TLS on these connections. Without a server name node:http derives
        // one for TLS anyway, testing the host with net.isIP, whose IPv6 regular
        // expression takes milliseconds to compile on the first request of a
        // process (a tenth of what a local `pks devcontainer list` costs).
        servername: '',
        signal: request.signal,
      };
      const req = httpRequest(options);
      let timer: NodeJS.Timeout | undefined;
      // A failing request body (an unreadable file in a tar, say) is the
      // caller's error, not a connection problem.
      let bodyError: Error | undefined;
      const timeoutError = new OperationError(
        'E_ENGINE_TIMEOUT',
        `The engine (${this.transport.target}) did not answer ${method} ${path} within ${request.timeoutMs ?? 0} ms.`,
        { hint: 'Check that the engine is not overloaded or hung.' },
      );
      if (request.timeoutMs !== undefined) timer = setTimeout(() => req.destroy(timeoutError), request.timeoutMs);

      req.once('error', (error) => {
        clearTimeout(timer);
        const idempotent = IDEMPOTENT_METHODS.has(method) && request.bodyStream === undefined;
        if (!isRetry && idempotent && req.reusedSocket && systemErrorCode(error) === 'ECONNRESET') {
          reject(new RetryOnFreshConnection());
        } else if (error === timeoutError || error === bodyError || isPksError(error)) {
          reject(error);
        } else if (error.name === 'AbortError') {
          reject(error);
        } else {
          reject(this.transport.connectionError(error));
        }
      });
      req.once('upgrade', (res, socket, head) => {
        clearTimeout(timer);
        if (head.length > 0) socket.unshift(head);
        resolve({ statusCode: res.statusCode ?? 101, headers: res.headers, body: res, socket });
      });
      req.once('response', (res) => {
        clearTimeout(timer);
        const statusCode = res.statusCode ?? 0;
        if ((statusCode >= 200 && statusCode < 300) || request.okStatuses?.includes(statusCode)) {
          resolve({ statusCode, headers: res.headers, body: res });
          return;
        }
        readBody(res, ERROR_BODY_LIMIT).then(
          (body) =>
            reject(
              new EngineApiError({
                statusCode,
                engineMessage: engineErrorMessage(body, statusCode),
                target: this.transport.target,
                method,
                path,
              }),
            ),
          (error: unknown) => reject(isPksError(error) ? error : this.transport.connectionError(error)),
        );
      });

      if (payload !== undefined) req.end(payload);
      else if (request.bodyStream !== undefined) {
        // Registered before pipeline's own listener, so bodyError is set
        // by the time the request reports the failure.
        request.bodyStream.once('error', (error) => {
          bodyError = error;
        });
        pipeline(request.bodyStream, req, () => undefined);
      } else req.end();
    });
  }
}
