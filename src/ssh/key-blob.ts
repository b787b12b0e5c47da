// Helpers over SSH public key blobs (RFC 4253 wire format), the form in which
// a server presents its host key and known_hosts stores it (base64).

import { createHash } from 'node:crypto';

/** The key type encoded at the start of a blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** OpenSSH's default fingerprint: `SHA256:` + unpadded base64 of the blob's digest. */
export function sha256Fingerprint(blob: Buffer): string {
  const digest = createHash('sha256').update(blob).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/**
 * Host key algorithms that can be negotiated for a key type found in
 * known_hosts. An RSA key is recorded as `ssh-rsa` but is negotiated as one of
 * the SHA-2 signature algorithms.
 */
export function algorithmsForKeyType(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256'];
  return [keyType];
}

/**
 * Host key algorithms pks offers, strongest first. SHA-1 `ssh-rsa` and DSA are
 * left out as in OpenSSH 8.8+.
 */
export const DEFAULT_HOST_KEY_ALGORITHMS: readonly string[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
];

/**
 * Orders the offered host key algorithms so the types already known for the
 * host come first, as OpenSSH does: otherwise a server holding several host
 * keys may present one we have never recorded and look like a changed host.
 */
export function preferredHostKeyAlgorithms(knownKeyTypes: readonly string[]): string[] {
  const preferred = knownKeyTypes
    .flatMap(algorithmsForKeyType)
    .filter((algorithm) => DEFAULT_HOST_KEY_ALGORITHMS.includes(algorithm));
  return [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}
