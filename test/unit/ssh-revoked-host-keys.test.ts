// Every source of host key trust and revocation OpenSSH reads: the global
// known_hosts files (default under /etc/ssh, here under an injected root),
// GlobalKnownHostsFile / UserKnownHostsFile / RevokedHostKeys in ssh_config,
// and RevokedHostKeys files as key lists or KRLs made by the real ssh-keygen.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { HostKeyPolicy } from '../../src/ssh/host-key-policy.js';
import { defaultGlobalKnownHostsFiles } from '../../src/ssh/known-hosts-file.js';
import { resolveSshOptions } from '../../src/ssh/options.js';
import { parseRevokedHostKeys, readRevokedHostKeys } from '../../src/ssh/revoked-host-keys.js';
import { resolveSshConfig, type SshConfigSource } from '../../src/ssh/ssh-config.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pks-revoked-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A real key made by ssh-keygen: its public line, wire blob and fingerprint. */
function makeKey(name: string): { pubFile: string; line: string; blob: Buffer; fingerprint: string } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim();
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
  return { pubFile: `${file}.pub`, line, blob: Buffer.from(line.split(' ')[1] ?? '', 'base64'), fingerprint };
}

const hostKey = makeKey('host');
const otherKey = makeKey('other');
const entry = (hosts: string, key: { line: string }, marker = ''): string => `${marker}${marker ? ' ' : ''}${hosts} ${key.line.split(' ').slice(0, 2).join(' ')}\n`;

/** A KRL from `ssh-keygen -k` given a specification file's text. */
function krl(name: string, spec: string): Buffer {
  const specFile = path.join(dir, `${name}.spec`);
  writeFileSync(specFile, spec);
  const out = path.join(dir, `${name}.krl`);
  execFileSync('ssh-keygen', ['-q', '-k', '-f', out, specFile]);
  return readFileSync(out);
}

describe('RevokedHostKeys files', () => {
  it('a key list: listed keys are revoked, comments and blank lines skipped', () => {
    const list = parseRevokedHostKeys(Buffer.from(`# retired\n\n  ${hostKey.line}\n`), 'list');
    assert.equal(list.revokes(hostKey.blob), true);
    assert.equal(list.revokes(otherKey.blob), false);
  });

  it('a key list with a line that is not a key refuses everything, naming the line', () => {
    assert.throws(() => parseRevokedHostKeys(Buffer.from(`${hostKey.line}\nssh-ed25519 not-base64!\n`), 'list'), (error: unknown) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_HOST_KEY_REVOKED_LIST_INVALID');
      assert.match(error.message, /list cannot be used: line 2 is not a public key/);
      return true;
    });
  });

  for (const [kind, spec] of [
    ['an explicit key', () => hostKey.line],
    ['a SHA-1 hash of the key', () => `sha1: ${hostKey.line}`],
    ['a SHA-256 hash of the key', () => `sha256: ${hostKey.line}`],
    ['a SHA-256 fingerprint', () => `hash: ${hostKey.fingerprint}`],
  ] as const) {
    it(`a KRL revoking ${kind} (ssh-keygen -k)`, () => {
      const data = krl(kind.replace(/\W+/g, '-'), `${spec()}\n`);
      const list = parseRevokedHostKeys(data, 'krl');
      assert.equal(list.revokes(hostKey.blob), true);
      assert.equal(list.revokes(otherKey.blob), false);
    });
  }

  it('an empty KRL revokes nothing; a truncated one, an unknown section or version refuses everything', () => {
    const empty = krl('empty', '');
    assert.equal(parseRevokedHostKeys(empty, 'krl').revokes(hostKey.blob), false);
    const full = krl('full', `${hostKey.line}\n`);
    assert.throws(() => parseRevokedHostKeys(full.subarray(0, full.length - 3), 'krl'), { code: 'E_HOST_KEY_REVOKED_LIST_INVALID' });
    const unknownSection = Buffer.concat([empty, Buffer.from([9, 0, 0, 0, 0])]);
    assert.throws(() => parseRevokedHostKeys(unknownSection, 'krl'), /section of unknown type 9/);
    const version2 = Buffer.from(empty);
    version2.writeUInt32BE(2, 8);
    assert.throws(() => parseRevokedHostKeys(version2, 'krl'), /KRL format version 2 is not supported/);
  });

  it('a file that cannot be read refuses every host', async () => {
    await assert.rejects(readRevokedHostKeys(path.join(dir, 'absent')), (error: unknown) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_HOST_KEY_REVOKED_LIST_READ');
      assert.match(error.message, /Cannot read the RevokedHostKeys file .*absent: it does not exist\. Every host is refused/);
      assert.match(error.hint ?? '', /remove RevokedHostKeys/);
      return true;
    });
  });
});

describe('HostKeyPolicy over every source', () => {
  const root = path.join(dir, 'root');
  mkdirSync(path.join(root, 'etc', 'ssh'), { recursive: true });
  const user = path.join(dir, 'user_known_hosts');
  writeFileSync(user, entry('box.test', hostKey));
  const load = (extra: Partial<Parameters<typeof HostKeyPolicy.load>[0]>) =>
    HostKeyPolicy.load({ host: 'box.test', port: 22, knownHostsFiles: [user], acceptNewHostKey: false, ...extra });

  it('the default global files are /etc/ssh/ssh_known_hosts and ssh_known_hosts2, and SSH options use them', () => {
    assert.deepEqual(defaultGlobalKnownHostsFiles(), ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']);
    assert.deepEqual(defaultGlobalKnownHostsFiles(root), [path.join(root, 'etc/ssh/ssh_known_hosts'), path.join(root, 'etc/ssh/ssh_known_hosts2')]);
    assert.deepEqual(resolveSshOptions({ host: 'h', username: 'u' }).globalKnownHostsFiles, defaultGlobalKnownHostsFiles());
    assert.deepEqual(resolveSshOptions({ host: 'h', username: 'u', globalKnownHostsFiles: [] }).globalKnownHostsFiles, []);
  });

  it('@revoked in the default ssh_known_hosts2 refuses a key the user\'s known_hosts trusts', async () => {
    const [, second] = defaultGlobalKnownHostsFiles(root);
    assert.ok(second !== undefined);
    writeFileSync(second, entry('*', hostKey, '@revoked'));
    await (await load({})).verify(hostKey.blob); // without the global files: trusted
    await assert.rejects((await load({ globalKnownHostsFiles: defaultGlobalKnownHostsFiles(root) })).verify(hostKey.blob), (error: unknown) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_HOST_KEY_REVOKED');
      assert.ok(error.message.includes(`marked @revoked in ${second}:1`), error.message);
      return true;
    });
    rmSync(second);
  });

  it('a plain entry in a global file trusts the host; another key there is a changed host', async () => {
    const global = path.join(dir, 'global_known_hosts');
    writeFileSync(global, entry('elsewhere.test', hostKey));
    await (await load({ host: 'elsewhere.test', knownHostsFiles: [path.join(dir, 'none')], globalKnownHostsFiles: [global] })).verify(hostKey.blob);
    await assert.rejects(
      (await load({ host: 'elsewhere.test', knownHostsFiles: [path.join(dir, 'none')], globalKnownHostsFiles: [global], acceptNewHostKey: true })).verify(otherKey.blob),
      { code: 'E_HOST_KEY_CHANGED' },
    );
  });

  it('RevokedHostKeys wins over a trusting known_hosts line; a missing file refuses before connecting', async () => {
    const list = path.join(dir, 'revoked.list');
    writeFileSync(list, `${hostKey.line}\n`);
    await assert.rejects((await load({ revokedHostKeysFile: list })).verify(hostKey.blob), /is revoked by RevokedHostKeys .*revoked\.list/);
    await assert.rejects(load({ revokedHostKeysFile: path.join(dir, 'missing.list') }), { code: 'E_HOST_KEY_REVOKED_LIST_READ' });
  });
});

describe('ssh_config known_hosts and revocation options', () => {
  const source = (files: Record<string, string>): SshConfigSource => ({ home: '/home/u', readFile: (file) => files[file], glob: (pattern) => [pattern] });
  const resolve = (alias: string, text: string) => resolveSshConfig(alias, { files: ['/home/u/.ssh/config'], source: source({ '/home/u/.ssh/config': text }), localUser: 'me' });

  it('reads GlobalKnownHostsFile and RevokedHostKeys (first value wins, ~ and %-tokens expanded)', () => {
    const host = resolve('box', 'Host box\n  HostName 10.0.0.5\n  GlobalKnownHostsFile ~/g1 /etc/g2_%h\n  RevokedHostKeys ~/.ssh/revoked_%h\nHost *\n  GlobalKnownHostsFile /etc/other\n  RevokedHostKeys /etc/other\n');
    assert.deepEqual(host.globalKnownHostsFiles, ['/home/u/g1', '/etc/g2_10.0.0.5']);
    assert.equal(host.revokedHostKeys, '/home/u/.ssh/revoked_10.0.0.5');
    const other = resolve('other', 'Host box\n  RevokedHostKeys /x\n');
    assert.equal(other.globalKnownHostsFiles, undefined);
    assert.equal(other.revokedHostKeys, undefined);
  });

  it('"none" turns each off, and blocks later values as a first value does', () => {
    const host = resolve('box', 'Host box\n  UserKnownHostsFile none\n  GlobalKnownHostsFile none\n  RevokedHostKeys none\nHost *\n  UserKnownHostsFile /a\n  GlobalKnownHostsFile /b\n  RevokedHostKeys /c\n');
    assert.deepEqual(host.userKnownHostsFiles, []);
    assert.deepEqual(host.globalKnownHostsFiles, []);
    assert.equal(host.revokedHostKeys, undefined);
  });
});
