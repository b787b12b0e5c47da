import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { HostKeyPolicy } from '../../src/ssh/host-key-policy.js';
import { hashHostName, knownHostsName, matchHostPatternList, matchWildcard } from '../../src/ssh/host-patterns.js';
import { keyTypeOfBlob, preferredHostKeyAlgorithms, sha256Fingerprint } from '../../src/ssh/key-blob.js';
import { checkHostKey, formatKnownHostsLine, knownKeyTypes, parseKnownHosts } from '../../src/ssh/known-hosts.js';

function sshString(value: Buffer | string): Buffer {
  const data = typeof value === 'string' ? Buffer.from(value) : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}

/** A fresh ed25519 public key blob in SSH wire format. */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return Buffer.concat([sshString('ssh-ed25519'), sshString(raw)]);
}

/** A syntactically valid ecdsa blob; only the bytes matter for matching. */
function ecdsaBlob(): Buffer {
  return Buffer.concat([sshString('ecdsa-sha2-nistp256'), sshString('nistp256'), sshString(randomBytes(65))]);
}

const keyA = ed25519Blob();
const keyB = ed25519Blob();
const keyE = ecdsaBlob();
const line = (hosts: string, blob: Buffer, marker = ''): string =>
  `${marker ? `${marker} ` : ''}${hosts} ${keyTypeOfBlob(blob)} ${blob.toString('base64')} comment`;

describe('host patterns', () => {
  it('matches * and ? like OpenSSH', () => {
    assert.equal(matchWildcard('build1.example.com', '*.example.com'), true);
    assert.equal(matchWildcard('example.com', '*.example.com'), false);
    assert.equal(matchWildcard('10.0.0.7', '10.0.0.?'), true);
    assert.equal(matchWildcard('10.0.0.17', '10.0.0.?'), false);
    assert.equal(matchWildcard('anything', '*'), true);
    assert.equal(matchWildcard('abcabd', '*abd'), true);
  });

  it('treats a matching negation as a veto over the whole list', () => {
    assert.equal(matchHostPatternList('a.example.com', '*.example.com,!b.example.com'), 'match');
    assert.equal(matchHostPatternList('b.example.com', '*.example.com,!b.example.com'), 'negated');
    assert.equal(matchHostPatternList('c.other.org', '*.example.com,!b.example.com'), 'none');
    assert.equal(matchHostPatternList('HOST.Example.COM', 'host.example.com'), 'match');
  });

  it('names non-22 ports in brackets', () => {
    assert.equal(knownHostsName('Host', 22), 'host');
    assert.equal(knownHostsName('10.0.0.1', 2222), '[10.0.0.1]:2222');
  });
});

describe('known_hosts parsing and matching', () => {
  it('parses plain, comma-list, marker and bracketed lines and skips junk', () => {
    const text = [
      '# comment',
      '',
      line('alpha,10.0.0.1', keyA),
      line('[beta]:2222', keyB),
      line('*', keyA, '@revoked'),
      line('*.ca.test', keyB, '@cert-authority'),
      '@bogus host ssh-ed25519 AAAA',
      'onlyhost',
      `gamma ssh-rsa ${keyA.toString('base64')}`, // declared type disagrees with the blob
      'delta ssh-ed25519 !!!notbase64',
    ].join('\n');
    const entries = parseKnownHosts(text, '/kh');
    assert.deepEqual(
      entries.map((entry) => [entry.line, entry.marker, entry.hosts]),
      [
        [3, undefined, 'alpha,10.0.0.1'],
        [4, undefined, '[beta]:2222'],
        [5, 'revoked', '*'],
        [6, 'cert-authority', '*.ca.test'],
      ],
    );
  });

  it('accepts the exact key of a plain entry, by any name in a comma list', () => {
    const entries = parseKnownHosts(line('alpha,10.0.0.1', keyA), '/kh');
    assert.equal(checkHostKey(entries, 'alpha', 22, keyA).status, 'known');
    assert.equal(checkHostKey(entries, '10.0.0.1', 22, keyA).status, 'known');
    assert.equal(checkHostKey(entries, 'ALPHA', 22, keyA).status, 'known');
    // Another port of the same host is another host.
    assert.equal(checkHostKey(entries, 'alpha', 2222, keyA).status, 'unknown');
  });

  it('matches [host]:port entries only on that port', () => {
    const entries = parseKnownHosts(line('[beta]:2222', keyB), '/kh');
    assert.equal(checkHostKey(entries, 'beta', 2222, keyB).status, 'known');
    assert.equal(checkHostKey(entries, 'beta', 22, keyB).status, 'unknown');
  });

  it('matches hashed entries (HMAC-SHA1 of the name keyed by the salt)', () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[hashed.example]:2200').digest('base64');
    const hashed = `|1|${salt.toString('base64')}|${hash}`;
    assert.equal(hashed, hashHostName('[hashed.example]:2200', salt));
    const entries = parseKnownHosts(line(hashed, keyA), '/kh');
    assert.equal(checkHostKey(entries, 'hashed.example', 2200, keyA).status, 'known');
    assert.equal(checkHostKey(entries, 'hashed.example', 22, keyA).status, 'unknown');
    assert.equal(checkHostKey(entries, 'other.example', 2200, keyA).status, 'unknown');
    assert.equal(checkHostKey(entries, 'hashed.example', 2200, keyB).status, 'changed');
  });

  it('applies wildcards and negation', () => {
    const entries = parseKnownHosts(line('*.farm.test,!bad.farm.test', keyA), '/kh');
    assert.equal(checkHostKey(entries, 'n1.farm.test', 22, keyA).status, 'known');
    assert.equal(checkHostKey(entries, 'bad.farm.test', 22, keyA).status, 'unknown');
  });

  it('refuses a revoked key even when a plain entry lists it', () => {
    const entries = parseKnownHosts([line('alpha', keyA), line('*', keyA, '@revoked')].join('\n'), '/kh');
    const verdict = checkHostKey(entries, 'alpha', 22, keyA);
    assert.equal(verdict.status, 'revoked');
  });

  it('reports a changed key of the same type, and a host known only under another type', () => {
    const entries = parseKnownHosts([line('alpha', keyA), line('beta', keyE)].join('\n'), '/kh');
    const sameType = checkHostKey(entries, 'alpha', 22, keyB);
    assert.equal(sameType.status, 'changed');
    assert.equal(sameType.status === 'changed' && sameType.entries[0]?.line, 1);
    assert.equal(checkHostKey(entries, 'beta', 22, keyA).status, 'changed');
  });

  it('ignores @cert-authority lines for plain host keys', () => {
    const entries = parseKnownHosts(line('alpha', keyA, '@cert-authority'), '/kh');
    assert.equal(checkHostKey(entries, 'alpha', 22, keyB).status, 'unknown');
  });

  it('offers the algorithms of known key types first', () => {
    const entries = parseKnownHosts([line('alpha', keyE), `alpha ssh-rsa ${Buffer.concat([sshString('ssh-rsa'), sshString(randomBytes(8))]).toString('base64')}`].join('\n'), '/kh');
    assert.deepEqual(knownKeyTypes(entries, 'alpha', 22), ['ecdsa-sha2-nistp256', 'ssh-rsa']);
    const algorithms = preferredHostKeyAlgorithms(knownKeyTypes(entries, 'alpha', 22));
    assert.deepEqual(algorithms.slice(0, 3), ['ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256']);
    assert.ok(algorithms.includes('ssh-ed25519'));
    assert.equal(new Set(algorithms).size, algorithms.length);
  });

  it('prints fingerprints like ssh-keygen -l (SHA256, unpadded base64)', () => {
    const fingerprint = sha256Fingerprint(keyA);
    assert.match(fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('HostKeyPolicy', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pks-known-hosts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses an unknown host with E_HOST_KEY_UNKNOWN and the fingerprint', async () => {
    const policy = await HostKeyPolicy.load({ host: 'new.test', port: 22, knownHostsFiles: [path.join(dir, 'absent')], acceptNewHostKey: false });
    await assert.rejects(policy.verify(keyA), (error: unknown) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_HOST_KEY_UNKNOWN');
      assert.ok(error.message.includes(sha256Fingerprint(keyA)));
      return true;
    });
  });

  it('records a new host when allowed, creating the file 0600, then knows it', async () => {
    const file = path.join(dir, 'sub', 'known_hosts');
    const options = { host: 'new.test', port: 2022, knownHostsFiles: [file], acceptNewHostKey: true };
    await (await HostKeyPolicy.load(options)).verify(keyA);
    assert.equal(readFileSync(file, 'utf8'), `${formatKnownHostsLine('new.test', 2022, keyA)}\n`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const strict = await HostKeyPolicy.load({ ...options, acceptNewHostKey: false });
    await strict.verify(keyA);
    // Accepting new hosts never accepts a changed one.
    await assert.rejects((await HostKeyPolicy.load(options)).verify(keyB), { code: 'E_HOST_KEY_CHANGED' });
  });

  it('appends after a last line without a newline', async () => {
    const file = path.join(dir, 'no-newline');
    writeFileSync(file, line('old', keyB), { mode: 0o600 });
    await (await HostKeyPolicy.load({ host: 'fresh', port: 22, knownHostsFiles: [file], acceptNewHostKey: true })).verify(keyA);
    const entries = parseKnownHosts(readFileSync(file, 'utf8'), file);
    assert.deepEqual(entries.map((entry) => entry.hosts), ['old', 'fresh']);
  });

  it('refuses a changed key loudly, naming both fingerprints and the line to fix', async () => {
    const file = path.join(dir, 'changed');
    writeFileSync(file, `# header\n${line('changed.test', keyA)}\n`);
    const policy = await HostKeyPolicy.load({ host: 'changed.test', port: 22, knownHostsFiles: [file], acceptNewHostKey: true });
    await assert.rejects(policy.verify(keyB), (error: unknown) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_HOST_KEY_CHANGED');
      assert.match(error.message, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
      assert.ok(error.message.includes(sha256Fingerprint(keyB)));
      assert.ok(error.message.includes(sha256Fingerprint(keyA)));
      assert.ok(error.message.includes(`${file}:2`));
      assert.ok(error.hint?.includes(`ssh-keygen -R 'changed.test' -f ${file}`));
      return true;
    });
  });

  it('refuses a revoked key', async () => {
    const file = path.join(dir, 'revoked');
    writeFileSync(file, `${line('rev.test', keyA)}\n${line('*', keyA, '@revoked')}\n`);
    const policy = await HostKeyPolicy.load({ host: 'rev.test', port: 22, knownHostsFiles: [file], acceptNewHostKey: true });
    await assert.rejects(policy.verify(keyA), { code: 'E_HOST_KEY_REVOKED' });
  });
});
