// ssh_config's RevokedHostKeys: a file of public keys, one a line, or an
// OpenSSH Key Revocation List (KRL, binary, PROTOCOL.krl). As in OpenSSH a
// file that cannot be read or understood refuses every host: a revocation
// list must never be skipped silently.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { OperationError, errorMessage, systemErrorCode } from '../common/errors.js';
import { keyTypeOfBlob } from './key-blob.js';

export interface RevokedHostKeys {
  file: string;
  /** Whether a host key (wire blob) is revoked. */
  revokes(blob: Buffer): boolean;
}

const KRL_MAGIC = Buffer.from('SSHKRL\n\0', 'latin1');
const KRL_FORMAT_VERSION = 1;
const SECTION_CERTIFICATES = 1;
const SECTION_EXPLICIT_KEY = 2;
const SECTION_FINGERPRINT_SHA1 = 3;
const SECTION_SIGNATURE = 4;
const SECTION_FINGERPRINT_SHA256 = 5;

function invalid(file: string, reason: string): OperationError {
  return new OperationError('E_HOST_KEY_REVOKED_LIST_INVALID', `The RevokedHostKeys file ${file} cannot be used: ${reason}. Every host is refused until it is fixed, as ssh does.`, {
    hint: 'Fix or regenerate the file (public keys one a line, or a KRL from `ssh-keygen -k`), or remove RevokedHostKeys from ~/.ssh/config.',
  });
}

/** Reads and parses the file; a missing or unreadable one is an error (OpenSSH refuses every host then). */
export async function readRevokedHostKeys(file: string): Promise<RevokedHostKeys> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    const code = systemErrorCode(error);
    const reason = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : errorMessage(error);
    throw new OperationError('E_HOST_KEY_REVOKED_LIST_READ', `Cannot read the RevokedHostKeys file ${file}: ${reason}. Every host is refused until it can be read, as ssh does.`, {
      hint: 'Create the file (it may be empty), fix its permissions, or remove RevokedHostKeys from ~/.ssh/config.',
      cause: error,
    });
  }
  return parseRevokedHostKeys(data, file);
}

export function parseRevokedHostKeys(data: Buffer, file: string): RevokedHostKeys {
  if (data.subarray(0, KRL_MAGIC.length).equals(KRL_MAGIC)) return parseKrl(data, file);
  const blobs = parseKeyList(data.toString('utf8'), file);
  return { file, revokes: (blob) => blobs.some((revoked) => revoked.equals(blob)) };
}

/** OpenSSH's sshkey_in_file: `type base64 [comment]` lines; a line it cannot read fails the whole file. */
function parseKeyList(text: string, file: string): Buffer[] {
  const blobs: Buffer[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [keyType, base64] = line.split(/\s+/);
    const blob = base64 !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(base64) ? Buffer.from(base64, 'base64') : undefined;
    if (blob === undefined || keyTypeOfBlob(blob) !== keyType) throw invalid(file, `line ${index + 1} is not a public key`);
    blobs.push(blob);
  });
  return blobs;
}

/** A cursor over SSH wire data (uint32/uint64 big-endian, length-prefixed strings). */
class Reader {
  private offset = 0;
  constructor(
    private readonly data: Buffer,
    private readonly fail: (reason: string) => Error,
  ) {}

  get done(): boolean {
    return this.offset >= this.data.length;
  }

  take(length: number): Buffer {
    if (this.offset + length > this.data.length) throw this.fail('it is truncated');
    const out = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  uint32(): number {
    return this.take(4).readUInt32BE(0);
  }

  byte(): number {
    return this.take(1).readUInt8(0);
  }

  string(): Buffer {
    return this.take(this.uint32());
  }
}

/**
 * A KRL's plain-key sections: explicit keys and SHA-1 / SHA-256 fingerprints
 * of key blobs. Certificate sections only revoke certificates, which pks never
 * accepts as host keys; signature sections (which must come last) add no
 * revocation. An unknown section or format version refuses the whole file,
 * as OpenSSH does.
 */
function parseKrl(data: Buffer, file: string): RevokedHostKeys {
  const reader = new Reader(data, (reason) => invalid(file, `the KRL ${reason}`));
  reader.take(KRL_MAGIC.length);
  const version = reader.uint32();
  if (version !== KRL_FORMAT_VERSION) throw invalid(file, `KRL format version ${version} is not supported`);
  reader.take(8 * 3); // krl_version, generated_date, flags
  reader.string(); // reserved
  reader.string(); // comment
  const explicit: Buffer[] = [];
  const sha1 = new Set<string>();
  const sha256 = new Set<string>();
  let signed = false;
  while (!reader.done) {
    const type = reader.byte();
    if (type === SECTION_SIGNATURE) {
      // Unlike the others this one is not wrapped: signing key, then signature.
      reader.string();
      reader.string();
      signed = true;
      continue;
    }
    if (signed) throw invalid(file, 'the KRL has a section after its signature');
    const section = new Reader(reader.string(), (reason) => invalid(file, `section ${type} ${reason}`));
    switch (type) {
      case SECTION_CERTIFICATES:
        break;
      case SECTION_EXPLICIT_KEY:
        while (!section.done) explicit.push(section.string());
        break;
      case SECTION_FINGERPRINT_SHA1:
        while (!section.done) sha1.add(section.string().toString('hex'));
        break;
      case SECTION_FINGERPRINT_SHA256:
        while (!section.done) sha256.add(section.string().toString('hex'));
        break;
      default:
        throw invalid(file, `the KRL has a section of unknown type ${type}`);
    }
  }
  return {
    file,
    revokes: (blob) =>
      explicit.some((revoked) => revoked.equals(blob)) ||
      sha1.has(createHash('sha1').update(blob).digest('hex')) ||
      sha256.has(createHash('sha256').update(blob).digest('hex')),
  };
}
