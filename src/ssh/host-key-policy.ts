// Turns a known_hosts verdict into a decision for one connection: accept,
// record a new host (only when the caller allowed it), or refuse loudly.

import { OperationError } from '../common/errors.js';
import { knownHostsName } from './host-patterns.js';
import { keyTypeOfBlob, preferredHostKeyAlgorithms, sha256Fingerprint } from './key-blob.js';
import { appendKnownHostsLine, readKnownHostsFiles } from './known-hosts-file.js';
import {
  checkHostKey,
  formatKnownHostsLine,
  knownKeyTypes,
  type KnownHostsEntry,
} from './known-hosts.js';
import { readRevokedHostKeys, type RevokedHostKeys } from './revoked-host-keys.js';

export interface HostKeyPolicyOptions {
  host: string;
  port: number;
  /** The user's known_hosts files (and pks's own), searched in order. */
  knownHostsFiles: readonly string[];
  /** GlobalKnownHostsFile: read like the user's, after them; never written. */
  globalKnownHostsFiles?: readonly string[] | undefined;
  /** RevokedHostKeys: a key list or KRL; unreadable = every host refused. */
  revokedHostKeysFile?: string | undefined;
  /** Where a newly accepted host key is recorded (default: the first known_hosts file). */
  recordFile?: string;
  acceptNewHostKey: boolean;
  /** How the user accepts a new key, for the hint (default: the --accept-new-host-key flag). */
  acceptWith?: string | undefined;
  /** Told when a new key was recorded (with acceptNewHostKey). */
  onAccepted?: ((accepted: AcceptedHostKey) => void) | undefined;
}

/** A host key pks recorded as trusted. */
export interface AcceptedHostKey {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  file: string;
}

/** A host seen for the first time; carries what is needed to ask and to record it. */
export class UnknownHostKeyError extends OperationError {
  constructor(
    message: string,
    hint: string,
    readonly host: string,
    readonly port: number,
    readonly keyType: string,
    readonly fingerprint: string,
    /** The known_hosts line that trusts this key. */
    readonly knownHostsLine: string,
  ) {
    super('E_HOST_KEY_UNKNOWN', message, { hint });
    this.name = 'UnknownHostKeyError';
  }
}

export class HostKeyPolicy {
  private constructor(
    private readonly options: HostKeyPolicyOptions,
    private readonly entries: readonly KnownHostsEntry[],
    private readonly revoked: RevokedHostKeys | undefined,
  ) {}

  /**
   * Every source OpenSSH reads, as one set (sshconnect.c check_host_key):
   * a key is trusted by a plain line in any file and refused by an
   * `@revoked` line in any file or by RevokedHostKeys.
   */
  static async load(options: HostKeyPolicyOptions): Promise<HostKeyPolicy> {
    const files = [...options.knownHostsFiles, ...(options.globalKnownHostsFiles ?? [])];
    const [entries, revoked] = await Promise.all([
      readKnownHostsFiles(files),
      options.revokedHostKeysFile === undefined ? undefined : readRevokedHostKeys(options.revokedHostKeysFile),
    ]);
    return new HostKeyPolicy(options, entries, revoked);
  }

  /** Host key algorithms to offer, the ones we already know for this host first. */
  hostKeyAlgorithms(): string[] {
    return preferredHostKeyAlgorithms(knownKeyTypes(this.entries, this.options.host, this.options.port));
  }

  /** Resolves if the presented key may be trusted; rejects with the reason otherwise. */
  async verify(presented: Buffer): Promise<void> {
    const { host, port, knownHostsFiles, acceptNewHostKey } = this.options;
    const verdict = checkHostKey(this.entries, host, port, presented);
    const where = `${host}:${port}`;
    const keyType = keyTypeOfBlob(presented) ?? 'unknown-type';
    const fingerprint = sha256Fingerprint(presented);
    if (this.revoked?.revokes(presented) === true) {
      throw new OperationError(
        'E_HOST_KEY_REVOKED',
        `The host key presented by ${where} (${keyType} ${fingerprint}) is revoked by RevokedHostKeys ${this.revoked.file}. Refusing to connect.`,
        { hint: 'Ask the host administrator for the current host key.' },
      );
    }
    switch (verdict.status) {
      case 'known':
        return;
      case 'revoked':
        throw new OperationError(
          'E_HOST_KEY_REVOKED',
          `The host key presented by ${where} (${keyType} ${fingerprint}) is marked @revoked in ` +
            `${verdict.entry.file}:${verdict.entry.line}. Refusing to connect.`,
          { hint: 'Ask the host administrator for the current host key.' },
        );
      case 'changed': {
        const [first] = verdict.entries;
        const lines = verdict.entries.map(
          (entry) => `${entry.file}:${entry.line}: ${entry.keyType} ${sha256Fingerprint(entry.keyBlob)}`,
        );
        throw new OperationError(
          'E_HOST_KEY_CHANGED',
          `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for ${where}! Someone could be eavesdropping ` +
            `on you right now (man-in-the-middle attack), or the host key has just been changed. ` +
            `The host presented ${keyType} ${fingerprint}, but known_hosts has ` +
            `${first === undefined ? 'another key' : `${first.keyType} ${sha256Fingerprint(first.keyBlob)}`}` +
            `${first === undefined ? '' : ` (${first.file}:${first.line})`}. Refusing to connect.`,
          {
            hint:
              `If you know why the key changed, remove the old entry with ` +
              `\`ssh-keygen -R '${knownHostsName(host, port)}' -f ${first?.file ?? knownHostsFiles[0] ?? '~/.ssh/known_hosts'}\`` +
              `${first === undefined ? '' : ` (or delete line ${first.line})`} and connect again.`,
            details: lines,
          },
        );
      }
      case 'unknown': {
        const target = this.options.recordFile ?? knownHostsFiles[0];
        const line = formatKnownHostsLine(host, port, presented);
        if (acceptNewHostKey && target !== undefined) {
          await appendKnownHostsLine(target, line);
          this.options.onAccepted?.({ host, port, keyType, fingerprint, file: target });
          return;
        }
        throw new UnknownHostKeyError(
          `The authenticity of host ${where} can't be established: its ${keyType} key ${fingerprint} ` +
            `is not in ${[...knownHostsFiles, ...(this.options.globalKnownHostsFiles ?? [])].join(', ') || 'any known_hosts file'}.`,
          `Check the fingerprint with the host's administrator (on the host: ` +
            `\`ssh-keygen -lf /etc/ssh/ssh_host_${keyType.replace(/^ssh-|-.*$/g, '')}_key.pub\`), ` +
            `then accept it with ${this.options.acceptWith ?? '--accept-new-host-key'} (or answer yes when asked on a terminal).`,
          host,
          port,
          keyType,
          fingerprint,
          line,
        );
      }
    }
  }
}
