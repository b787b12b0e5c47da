// One authenticated SSH connection to one host, over which pks opens as many
// channels as it needs. ssh2 is imported lazily here, and only here, so a
// command that never talks to a remote host never pays for loading it.

import type { Client, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import { OperationError, errorMessage, isPksError, type PksError } from '../common/errors.js';
import { HostKeyPolicy } from './host-key-policy.js';
import { sha256Fingerprint } from './key-blob.js';
import { readPrivateKeyFile } from './keys.js';
import { loginOf, sshUrlOf, type ResolvedSshOptions } from './options.js';
import { mapSshConnectError, sshDisconnectedError, type SshErrorContext } from './ssh-errors.js';

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
  private closed = false;

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

  /** Ends the connection; resolves once the socket is closed. */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    if (client === undefined) return;
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
    });
  }

  /** A channel that was refused keeps ssh2's `reason`; anything else means the link went away. */
  private mapChannelError(error: Error): Error {
    if ('reason' in error && error.reason !== '') return error;
    return sshDisconnectedError(this, error);
  }

  private async connect(): Promise<Client> {
    const options = this.options;
    const policy = await HostKeyPolicy.load({
      host: options.host,
      port: options.port,
      knownHostsFiles: options.knownHostsFiles,
      acceptNewHostKey: options.acceptNewHostKey,
    });
    const privateKey = options.privateKeyPath === undefined ? undefined : await readPrivateKeyFile(options.privateKeyPath);
    const ssh2 = (await import('ssh2')).default;
    const context: SshErrorContext = {
      login: this.login,
      host: options.host,
      port: options.port,
      credentials: describeCredentials(ssh2, options, privateKey),
    };
    const client = new ssh2.Client();
    let hostKeyError: PksError | undefined;
    const config: ConnectConfig = {
      host: options.host,
      port: options.port,
      username: options.username,
      readyTimeout: options.readyTimeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs,
      keepaliveCountMax: options.keepaliveCountMax,
      algorithms: { serverHostKey: policy.hostKeyAlgorithms() as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
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
      ...(privateKey === undefined ? {} : { privateKey }),
      ...(options.agentSocket === undefined ? {} : { agent: options.agentSocket }),
    };
    return new Promise<Client>((resolve, reject) => {
      const fail = (error: unknown): void => {
        client.removeAllListeners('ready');
        reject(hostKeyError ?? mapSshConnectError(error, context));
      };
      client.once('error', fail);
      client.once('close', () => fail(new Error('connection closed during the handshake')));
      client.once('ready', () => {
        handshakeCount++;
        client.removeListener('error', fail);
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
      try {
        client.connect(config);
        // Engine calls are small request/response exchanges: without
        // TCP_NODELAY, Nagle's algorithm meets delayed ACKs and some calls
        // stall ~40 ms (seen as a p90 of 43 ms before this line).
        client.setNoDelay(true);
      } catch (error) {
        // ssh2 parses the private key synchronously inside connect().
        reject(
          new OperationError(
            'E_SSH_KEY_INVALID',
            `Cannot use the private key ${options.privateKeyPath ?? ''}: ${errorMessage(error)}`,
            { hint: 'Encrypted keys are used through ssh-agent (SSH_AUTH_SOCK).', cause: error },
          ),
        );
      }
    });
  }
}

type Ssh2Module = typeof import('ssh2');

/** Names the key (path, type and public fingerprint) without any secret. */
function describeCredentials(ssh2: Ssh2Module, options: ResolvedSshOptions, privateKey: Buffer | undefined): string {
  const parts: string[] = [];
  if (options.privateKeyPath !== undefined && privateKey !== undefined) {
    const parsed = ssh2.utils.parseKey(privateKey);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    parts.push(
      key === undefined || key instanceof Error
        ? `key ${options.privateKeyPath}`
        : `key ${options.privateKeyPath} (${key.type} ${sha256Fingerprint(key.getPublicSSH())})`,
    );
  }
  if (options.agentSocket !== undefined) parts.push(`the keys of ssh-agent (${options.agentSocket})`);
  return parts.length === 0 ? 'no key (none configured)' : parts.join(' and ');
}
