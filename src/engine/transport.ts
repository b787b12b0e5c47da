// What a way of reaching an engine provides to the HTTP client: an
// http.Agent that makes connections, where requests go, and how to explain a
// connection failure. The client above it does not know local from SSH.

import type { Agent, RequestOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PksError } from '../common/errors.js';
import type { ToolEndpoint } from './tool-endpoint.js';
import type { AgentForward } from '../ssh/agent-forward.js';

/** A user's numeric ids on the engine's host. */
export interface HostUserIds {
  uid: number;
  gid: number;
}

export type EngineKind = 'local' | 'ssh';

export interface EngineTransport {
  readonly kind: EngineKind;
  /** Human description used in messages, e.g. `local engine (unix:///var/run/docker.sock)`. */
  readonly target: string;
  readonly agent: Agent;
  /** Merged into every request: `socketPath`, or `host`/`port`. */
  readonly connectOptions: Pick<RequestOptions, 'socketPath' | 'host' | 'port'>;
  /** Explains an error raised before or while talking to the engine. */
  connectionError(error: unknown): PksError;
  /**
   * Free bytes on the engine host's filesystem under `path` (the engine's
   * root dir, say); undefined when this transport cannot tell.
   */
  diskFree(path: string): Promise<number | undefined>;
  /** A Docker API endpoint for the docker CLI or Compose (see tool-endpoint.ts). */
  toolEndpoint(): Promise<ToolEndpoint>;
  /**
   * Serves this machine's SSH agent socket `agentSocket` in a private folder
   * on the engine's host, named after `key`, for a container to bind-mount;
   * absent when the engine's host cannot be reached that way (tcp://).
   */
  forwardAgent?(key: string, agentSocket: string): Promise<AgentForward>;
  /**
   * The ids of the user pks acts as on the engine's host (this process's
   * locally, the SSH user's on a remote host): whose files the workspace
   * should look like. Undefined when unknown.
   */
  userIds(): Promise<HostUserIds | undefined>;
  /**
   * A TCP connection to `host:port` as the engine's machine reaches it (a
   * container's address there): a plain socket locally, an SSH
   * `direct-tcpip` channel on a remote host.
   */
  openTcp(host: string, port: number): Promise<Duplex>;
  /** Releases connections (sockets, SSH leases) so the process can exit. */
  close(): Promise<void>;
}
