// The engine client the rest of pks uses, whatever the transport. Calls are
// versioned with the API version negotiated on first use.

import type { Duplex } from 'node:stream';
import type { AgentForward } from '../ssh/agent-forward.js';
import type * as core from 'zod/v4/core';
import * as z from '../common/zod-mini.js';
import { OperationError } from '../common/errors.js';
import type { RetryPolicy } from '../common/retry.js';
import { MAX_API_VERSION, MIN_API_VERSION, compareApiVersions, isApiVersion, negotiateApiVersion } from './api-version.js';
import { isEngineApiError } from './engine-errors.js';
import { EngineOperationsOverHttp, type EngineFilters, type EngineOperations } from './engine-operations.js';
import {
  EngineHttpClient,
  readBody,
  type EngineRequest,
  type EngineResponse,
  type HijackedConnection,
} from './http-client.js';
import {
  containerSummaryListSchema,
  engineInfoSchema,
  engineVersionSchema,
  type ContainerSummary,
  type EngineInfo,
  type EngineVersion,
} from './schemas.js';
import type { ToolEndpoint } from './tool-endpoint.js';
import type { EngineKind, EngineTransport, HostUserIds } from './transport.js';

export interface PingResult {
  /** The engine's highest API version (`API-Version` header). */
  apiVersion: string | undefined;
  /** `linux` or `windows` (`OSType` header). */
  osType: string | undefined;
}

export interface ListContainersOptions {
  /** Include stopped containers. */
  all?: boolean;
  /** Engine filters, e.g. `{ label: ['pks.managed=true'] }`. */
  filters?: EngineFilters;
}

/**
 * The typed operations, plus the raw versioned calls they are made of. Core
 * and devcontainer use the operations only (a unit test checks that no engine
 * URL path is written there); the raw calls are for this layer and for tests.
 */
export interface EngineClient extends EngineOperations {
  readonly kind: EngineKind;
  /** For messages: `local engine (unix:///var/run/docker.sock)`, `ssh://user@host:22`. */
  readonly target: string;
  /** The API version used in request paths, negotiated on first use. */
  apiVersion(): Promise<string>;
  ping(): Promise<PingResult>;
  version(): Promise<EngineVersion>;
  info(): Promise<EngineInfo>;
  listContainers(options?: ListContainersOptions): Promise<ContainerSummary[]>;
  /** A versioned call whose JSON answer is parsed with `schema` (any zod v4 schema, classic or mini). */
  request<S extends core.$ZodType>(request: EngineRequest, schema: S): Promise<core.output<S>>;
  /** A versioned call whose answer body is ignored; resolves with the status. */
  requestEmpty(request: EngineRequest): Promise<number>;
  /** A versioned call whose body the caller streams (logs, pulls, build output). */
  stream(request: EngineRequest): Promise<EngineResponse>;
  /** A versioned call that takes over the connection (exec/attach); see demux.ts. */
  hijack(request: EngineRequest): Promise<HijackedConnection>;
  /** Free bytes under `path` on the engine's host (e.g. DockerRootDir); undefined if unknown. */
  hostDiskFree(path: string): Promise<number | undefined>;
  /**
   * `DOCKER_HOST` for a tool that speaks the Docker API itself (the docker
   * CLI's BuildKit builds, Compose), reaching this engine through pks's own
   * connection; close it when the tool is done.
   */
  toolEndpoint(): Promise<ToolEndpoint>;
  /** This machine's SSH agent served on the engine's host (see EngineTransport); undefined where it cannot be. */
  forwardAgent(key: string, agentSocket: string): Promise<AgentForward | undefined>;
  /** The ids of the user pks acts as on the engine's host; undefined if unknown. */
  hostUserIds(): Promise<HostUserIds | undefined>;
  /** A TCP connection to `host:port` as seen from the engine's machine (a container's address, for forwarded ports). */
  openTcp(host: string, port: number): Promise<Duplex>;
  /** Releases every connection so the process can exit. Idempotent. */
  close(): Promise<void>;
}

/**
 * _ping and /version answer instantly on any healthy engine; a hung engine
 * (or a link that silently dropped) must not hang every pks command.
 */
const PROBE_TIMEOUT_MS = 30_000;

/** JSON answers larger than this are a protocol problem, not data to buffer. */
const JSON_BODY_LIMIT = 64 * 1024 * 1024;

interface Negotiated {
  apiVersion: string;
}

export class HttpEngineClient extends EngineOperationsOverHttp implements EngineClient {
  readonly kind: EngineKind;
  readonly target: string;
  private readonly http: EngineHttpClient;
  private negotiation: Promise<Negotiated> | undefined;
  private versionInfo: Promise<EngineVersion> | undefined;
  private readonly hijacked = new Set<Duplex>();
  private closed = false;

  /** Whether the API version in use came from `knownApiVersion` rather than from this engine. */
  private remembered = false;

  /**
   * `retry`: how transient failures of idempotent calls are retried (default:
   * 3 tries, silently). `knownApiVersion`: the API version this engine
   * reported in an earlier session (a remote host's recorded capabilities);
   * it is used without asking the engine again, which saves a round trip
   * (~50 ms on a 50 ms link), and renegotiated if the engine refuses it.
   */
  constructor(
    private readonly transport: EngineTransport,
    options: { retry?: RetryPolicy | undefined; knownApiVersion?: string | undefined } = {},
  ) {
    super();
    this.kind = transport.kind;
    this.target = transport.target;
    this.http = new EngineHttpClient(transport, options.retry);
    const known = options.knownApiVersion;
    // Only a version pks speaks, so that it is what negotiation would pick.
    if (known !== undefined && isApiVersion(known) && compareApiVersions(known, MAX_API_VERSION) <= 0 && compareApiVersions(known, MIN_API_VERSION) >= 0) {
      this.negotiation = Promise.resolve({ apiVersion: known });
      this.remembered = true;
    }
  }

  async apiVersion(): Promise<string> {
    return (await this.negotiate()).apiVersion;
  }

  async ping(): Promise<PingResult> {
    const response = await this.http.send({ path: '/_ping', timeoutMs: PROBE_TIMEOUT_MS }, this.unversioned('/_ping'));
    await readBody(response.body, JSON_BODY_LIMIT);
    const header = (name: string): string | undefined => {
      const value = response.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    return { apiVersion: header('api-version'), osType: header('ostype') };
  }

  async version(): Promise<EngineVersion> {
    this.versionInfo ??= (async () => {
      const response = await this.http.send({ path: '/version', timeoutMs: PROBE_TIMEOUT_MS }, this.unversioned('/version'));
      return this.parseJson({ path: '/version' }, await readBody(response.body, JSON_BODY_LIMIT), engineVersionSchema);
    })().catch((error: unknown) => {
      this.versionInfo = undefined;
      throw error;
    });
    return this.versionInfo;
  }

  async info(): Promise<EngineInfo> {
    return this.request({ path: '/info' }, engineInfoSchema);
  }

  async listContainers(options: ListContainersOptions = {}): Promise<ContainerSummary[]> {
    return this.request(
      { path: '/containers/json', query: { all: options.all === true ? 1 : undefined, filters: options.filters } },
      containerSummaryListSchema,
    );
  }

  async request<S extends core.$ZodType>(request: EngineRequest, schema: S): Promise<core.output<S>> {
    const response = await this.versionedCall(request, (path) => this.http.send(request, path));
    return this.parseJson(request, await readBody(response.body, JSON_BODY_LIMIT), schema);
  }

  hostDiskFree(path: string): Promise<number | undefined> {
    return this.transport.diskFree(path);
  }

  toolEndpoint(): Promise<ToolEndpoint> {
    this.assertOpen();
    return this.transport.toolEndpoint();
  }

  async forwardAgent(key: string, agentSocket: string): Promise<AgentForward | undefined> {
    return this.transport.forwardAgent?.(key, agentSocket);
  }

  hostUserIds(): Promise<HostUserIds | undefined> {
    return this.transport.userIds();
  }

  openTcp(host: string, port: number): Promise<Duplex> {
    this.assertOpen();
    return this.transport.openTcp(host, port);
  }

  async requestEmpty(request: EngineRequest): Promise<number> {
    const response = await this.versionedCall(request, (path) => this.http.send(request, path));
    response.body.resume();
    await new Promise<void>((resolve, reject) => {
      response.body.once('end', resolve).once('error', reject);
    });
    return response.statusCode;
  }

  async stream(request: EngineRequest): Promise<EngineResponse> {
    return this.versionedCall(request, (path) => this.http.send(request, path));
  }

  async hijack(request: EngineRequest): Promise<HijackedConnection> {
    const connection = await this.versionedCall(request, (path) => this.http.hijack(request, path));
    // The agent forgets a hijacked connection, so close() must end it itself.
    this.hijacked.add(connection.socket);
    connection.socket.once('close', () => this.hijacked.delete(connection.socket));
    return connection;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const socket of this.hijacked) socket.destroy();
    this.hijacked.clear();
    await this.transport.close();
  }

  private unversioned(path: string): string {
    this.assertOpen();
    return path;
  }

  private async versioned(path: string): Promise<string> {
    this.assertOpen();
    return `/v${await this.apiVersion()}${path}`;
  }

  /**
   * `call` with the request's versioned path. If the version was remembered
   * from an earlier session and the engine refuses it (upgraded or
   * downgraded since), the version is negotiated afresh and the call made
   * once more: the engine refused it before acting on it. A streamed body
   * cannot be sent twice, so that error stands.
   */
  private async versionedCall<T>(request: EngineRequest, call: (path: string) => Promise<T>): Promise<T> {
    const remembered = this.remembered;
    try {
      return await call(await this.versioned(request.path));
    } catch (error) {
      if (!remembered || request.bodyStream !== undefined || !isEngineApiError(error, 400) || !/client version \S+ is too (new|old)/i.test(error.engineMessage)) throw error;
      if (this.remembered) {
        this.remembered = false;
        this.negotiation = undefined;
      }
      return call(await this.versioned(request.path));
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new OperationError('E_ENGINE_CLOSED', `The client for the ${this.target} is closed.`);
  }

  /**
   * GET /_ping (unversioned) names the engine's API version in a header and is
   * the cheapest call an engine answers. Only an engine newer than the
   * version pks speaks may have dropped it (Docker 29 accepts nothing below
   * 1.44): then GET /version tells its oldest accepted version. Concurrent
   * first calls share one negotiation.
   */
  private negotiate(): Promise<Negotiated> {
    this.negotiation ??= (async () => {
      const ping = await this.ping();
      let range: { apiVersion: string; minApiVersion?: string | undefined };
      if (ping.apiVersion !== undefined && isApiVersion(ping.apiVersion) && compareApiVersions(ping.apiVersion, MAX_API_VERSION) <= 0) {
        range = { apiVersion: ping.apiVersion };
      } else {
        const version = await this.version();
        range = { apiVersion: version.ApiVersion, minApiVersion: version.MinAPIVersion };
      }
      return { apiVersion: negotiateApiVersion(range, this.target) };
    })().catch((error: unknown) => {
      // Let a later call try again (the engine may have been starting).
      this.negotiation = undefined;
      throw error;
    });
    return this.negotiation;
  }

  private parseJson<S extends core.$ZodType>(request: EngineRequest, body: Buffer, schema: S): core.output<S> {
    const where = `${request.method ?? 'GET'} ${request.path}`;
    let json: unknown;
    try {
      json = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
    } catch {
      throw new OperationError('E_ENGINE_PROTOCOL', `The engine (${this.target}) answered ${where} with invalid JSON.`);
    }
    const parsed = z.safeParse(schema, json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      throw new OperationError('E_ENGINE_PROTOCOL', `Unexpected answer from the engine (${this.target}) to ${where}: ${issues.join('; ')}`);
    }
    return parsed.data;
  }
}
