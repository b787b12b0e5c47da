// One authenticated SSH connection to one host, over which pks opens as many
// channels as it needs. ssh2 is imported lazily here, and only here, so a
// command that never talks to a remote host never pays for loading it.

import { Socket } from 'node:net';
import type { Client, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import { withoutUndefined } from '../common/defined.js';
import { OperationError, errorMessage, isPksError, type PksError } from '../common/errors.js';
import { withRetry } from '../common/retry.js';
import { agentUnreachableReason, authMethods, describeCredentials, loadCredentials } from './credentials.js';
import { HostKeyPolicy, UnknownHostKeyError } from './host-key-policy.js';
import { appendKnownHostsLine } from './known-hosts-file.js';
import { loginOf, sshUrlOf, type ResolvedSshOptions } from './options.js';
import { isTransientConnectError, mapSshConnectError, sshDisconnectedError, tcpConnectTimeoutError, type SshErrorContext } from './ssh-errors.js';

let handshakeCount = 0;

/**
 * Completed SSH handshakes (connection + authentication) in this process.
 * Tests read it to prove that many requests share one connection.
 */
export function sshHandshakeCount(): number {
  return handshakeCount;
}

/** How long close() waits for the server to acknowledge the disconnect. */
const CLOSE_GRACE_MS = 1_000;

export class SshConnection {
  readonly login: string;
  readonly url: string;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  /** The ProxyJump hop this connection is tunnelled through, if any. */
  private jumpConnection: SshConnection | undefined;
  private closed = false;
  /** Set once a handshake succeeded: later connects are reconnects after a drop. */
  private connectedBefore = false;

  constructor(readonly options: ResolvedSshOptions) {
    this.login = loginOf(options);
    this.url = sshUrlOf(options);
  }

  /**
   * The connected client; connects on first use and again after the link
   * dropped, so a long-lived process survives an sshd restart. Concurrent
   * callers share one handshake.
   */
  async ready(): Promise<Client> {
    if (this.closed) throw new OperationError('E_SSH_CLOSED', `The SSH connection to ${this.login} was closed.`);
    if (this.client !== undefined) return this.client;
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Opens a `direct-streamlocal@openssh.com` channel to a unix socket on the host. */
  async openStreamLocal(socketPath: string): Promise<ClientChannel> {
    const client = await this.ready();
    return new Promise((resolve, reject) => {
      try {
        client.openssh_forwardOutStreamLocal(socketPath, (error, channel) => {
          if (error) reject(this.mapChannelError(error));
          else resolve(channel);
        });
      } catch (error) {
        reject(sshDisconnectedError(this, error));
      }
    });
  }

  /** Starts the SFTP subsystem (used to diagnose remote files cheaply). */
  /**
   * Opens a `direct-tcpip` channel to `host:port` as the host reaches it (a
   * container's address there); the originator is given as 127.0.0.1:0, as
   * nothing listens anywhere for it.
   */
  async openTcp(host: string, port: number): Promise<ClientChannel> {
    const client = await this.ready();
    return new Promise((resolve, reject) => {
      try {
        client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => {
          if (error) reject(this.mapChannelError(error));
          else resolve(channel);
        });
      } catch (error) {
        reject(sshDisconnectedError(this, error));
      }
    });
  }

  async sftp(): Promise<SFTPWrapper> {
    const client = await this.ready();
    return new Promise((resolve, reject) => {
      try {
        client.sftp((error, sftp) => (error ? reject(this.mapChannelError(error)) : resolve(sftp)));
      } catch (error) {
        reject(sshDisconnectedError(this, error));
      }
    });
  }

  /** Runs a fixed command on the host and collects its standard output (capped), for short probes only. */
  async execOutput(command: string, options: { timeoutMs: number; maxBytes: number }): Promise<{ code: number | undefined; stdout: string }> {
    const client = await this.ready();
    return new Promise((resolve, reject) => {
      try {
        client.exec(command, (error, channel) => {
          if (error) reject(this.mapChannelError(error));
          // Listened to before this callback returns: the exec's success, its
          // output, exit status and close can come in one read, and ssh2 emits
          // them in one go (an `exit` listened to after an await was missed).
          else collectOutput(channel, options).then(resolve, reject);
        });
      } catch (error) {
        reject(sshDisconnectedError(this, error));
      }
    });
  }

  /** Ends the connection; resolves once the socket is closed. */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    if (client !== undefined) await this.endClient(client);
    await this.jumpConnection?.close();
  }

  private async endClient(client: Client): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.destroy();
        resolve();
      }, CLOSE_GRACE_MS);
      timer.unref();
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
      // Once our goodbye (SSH disconnect, then TCP FIN) is handed to the
      // system, the host's own close is not waited for: that is one more
      // round trip at the end of every command. The socket then closes by
      // itself and no longer keeps the process alive.
      const internals = client as unknown as { _sock?: unknown; _resetKA?: () => void };
      const socket = internals._sock;
      if (socket instanceof Socket && !socket.destroyed) {
        socket.once('finish', () => {
          socket.unref();
          // ssh2's keepalive timer would hold the process until the host's
          // close arrives; with the socket no longer writable, its reset
          // only clears it.
          internals._resetKA?.();
          clearTimeout(timer);
          resolve();
        });
      }
    });
  }

  /** A channel that was refused keeps ssh2's `reason`; anything else means the link went away. */
  private mapChannelError(error: Error): Error {
    if ('reason' in error && error.reason !== '') return error;
    return sshDisconnectedError(this, error);
  }

  private async connect(): Promise<Client> {
    try {
      // Setting up a connection is safe to repeat: transient failures (the
      // link away for a moment, sshd restarting after a drop) get more tries.
      const reconnecting = this.connectedBefore;
      return await withRetry(() => this.connectOnce(), {
        policy: this.options.retry,
        isTransient: (error) => !this.closed && isTransientConnectError(error, reconnecting),
        operation: reconnecting ? 'SSH reconnection' : 'SSH connection',
        target: this.login,
        reason: (error) => errorMessage(error).replace(/\.$/, ''),
      });
    } catch (error) {
      // A first-time host: ask (outside the handshake, which has a timeout),
      // record the key where accepted keys go, and connect again.
      const confirm = this.options.prompts.confirmHostKey;
      if (!(error instanceof UnknownHostKeyError) || confirm === undefined) throw error;
      const trusted = await confirm({ host: error.host, port: error.port, keyType: error.keyType, fingerprint: error.fingerprint });
      if (!trusted) throw error;
      const file = this.options.knownHostsAcceptFile ?? this.options.knownHostsFiles[0];
      if (file === undefined) throw error;
      await appendKnownHostsLine(file, error.knownHostsLine);
      this.options.prompts.hostKeyAccepted?.({ host: error.host, port: error.port, keyType: error.keyType, fingerprint: error.fingerprint, file });
      return this.connectOnce();
    }
  }

  private async connectOnce(): Promise<Client> {
    const options = this.options;
    const policy = await HostKeyPolicy.load({
      host: options.host,
      port: options.port,
      knownHostsFiles: options.knownHostsAcceptFile === undefined || options.knownHostsFiles.includes(options.knownHostsAcceptFile)
        ? options.knownHostsFiles
        : [...options.knownHostsFiles, options.knownHostsAcceptFile],
      ...withoutUndefined({ recordFile: options.knownHostsAcceptFile }),
      globalKnownHostsFiles: options.globalKnownHostsFiles,
      revokedHostKeysFile: options.revokedHostKeys,
      acceptNewHostKey: options.acceptNewHostKey,
      acceptWith: options.prompts.acceptHostKeyWith,
      onAccepted: options.prompts.hostKeyAccepted,
    });
    const ssh2 = (await import('ssh2')).default;
    const credentials = await loadCredentials(ssh2.utils, options);
    const context: SshErrorContext = {
      login: this.login,
      host: options.host,
      port: options.port,
      credentials: credentials.description,
      authenticating: false,
    };
    const methods = authMethods(options.username, credentials);
    const sock = options.jump === undefined ? undefined : await this.tunnelThroughJumpHost(options.jump);
    const client = new ssh2.Client();
    let hostKeyError: PksError | undefined;
    const config: ConnectConfig = {
      host: options.host,
      port: options.port,
      username: options.username,
      readyTimeout: options.readyTimeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs,
      keepaliveCountMax: options.keepaliveCountMax,
      algorithms: { serverHostKey: policy.hostKeyAlgorithms() as NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']> },
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        policy.verify(key).then(
          () => verify(true),
          (error: unknown) => {
            hostKeyError = isPksError(error)
              ? error
              : new OperationError('E_HOST_KEY_UNKNOWN', `Host key check failed: ${errorMessage(error)}`);
            verify(false);
          },
        );
      },
      // Agent keys first, then each identity, each once: OpenSSH's order.
      authHandler: (_methodsLeft, _partialSuccess, next) => {
        context.authenticating = true;
        next((methods.shift() ?? false) as Parameters<typeof next>[0]);
      },
      ...withoutUndefined({ sock }),
    };
    return new Promise<Client>((resolve, reject) => {
      let failed = false;
      const fail = (error: unknown): void => {
        if (failed) return;
        failed = true;
        client.removeAllListeners('ready');
        // Whatever ssh2 would still do with this connection (a second error
        // after a timeout, an authentication going on) must neither keep the
        // process alive nor reach an unhandled 'error'.
        client.removeAllListeners('close');
        client.destroy();
        reject(hostKeyError ?? mapSshConnectError(error, context));
      };
      let tcpConnected = false;
      client.once('connect', () => {
        tcpConnected = true;
      });
      const onError = (error: Error & { level?: string }): void => {
        // An ssh-agent that cannot be reached (a stale SSH_AUTH_SOCK): ssh2
        // reports it and goes on to the key files, as OpenSSH does; an
        // authentication failure then says the agent was not reached.
        if (error.level === 'agent') {
          const reason = credentials.agentSocket === undefined ? undefined : agentUnreachableReason(error, credentials.agentSocket);
          if (reason !== undefined) context.credentials = describeCredentials(credentials, reason);
          return;
        }
        // The ready timeout covers TCP connect and handshake; before the TCP
        // connection is up it means the host never answered at all.
        fail(error.level === 'client-timeout' && !tcpConnected && sock === undefined ? tcpConnectTimeoutError(options.readyTimeoutMs) : error);
      };
      client.on('error', onError);
      client.once('close', () => fail(new Error('connection closed during the handshake')));
      client.once('ready', () => {
        handshakeCount++;
        this.connectedBefore = true;
        client.removeListener('error', onError);
        client.removeAllListeners('close');
        // Errors after the handshake surface on the channels in use; this
        // listener only keeps an 'error' event from crashing the process.
        client.on('error', () => undefined);
        client.once('close', () => {
          if (this.client === client) this.client = undefined;
        });
        if (this.closed) {
          client.end();
          reject(new OperationError('E_SSH_CLOSED', `The SSH connection to ${this.login} was closed.`));
          return;
        }
        this.client = client;
        resolve(client);
      });
      client.connect(config);
      // Engine calls are small request/response exchanges: without
      // TCP_NODELAY, Nagle's algorithm meets delayed ACKs and some calls
      // stall ~40 ms (seen as a p90 of 43 ms before this line).
      if (sock === undefined) client.setNoDelay(true);
    });
  }

  /**
   * ProxyJump: connect to the jump host (its own host key check and
   * authentication), then open a direct-tcpip channel from it to this host;
   * the SSH session to this host runs inside that channel, end to end.
   */
  private async tunnelThroughJumpHost(jump: ResolvedSshOptions): Promise<ClientChannel> {
    this.jumpConnection ??= new SshConnection(jump);
    const jumpClient = await this.jumpConnection.ready();
    const { host, port } = this.options;
    return new Promise((resolve, reject) => {
      jumpClient.forwardOut('127.0.0.1', 0, host, port, (error, channel) => {
        if (error) {
          reject(
            new OperationError('E_SSH_UNREACHABLE', `The jump host ${loginOf(jump)} could not reach ${host} port ${port}: ${errorMessage(error)}.`, {
              hint: `Check that ${host}:${port} is reachable from the jump host (ProxyJump).`,
              cause: error,
            }),
          );
        } else {
          resolve(channel);
        }
      });
    });
  }
}

/** A probe's standard output (capped) and exit code; no answer in time counts as no answer (the caller goes on without it). */
function collectOutput(channel: ClientChannel, options: { timeoutMs: number; maxBytes: number }): Promise<{ code: number | undefined; stdout: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let code: number | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      channel.close();
    }, options.timeoutMs);
    channel.stderr.resume();
    channel.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= options.maxBytes) chunks.push(chunk);
      else channel.close();
    });
    channel.on('exit', (exitCode: unknown) => {
      if (typeof exitCode === 'number') code = exitCode;
    });
    channel.on('close', () => {
      clearTimeout(timer);
      resolve(timedOut ? { code: undefined, stdout: '' } : { code, stdout: Buffer.concat(chunks).toString('utf8') });
    });
  });
}
