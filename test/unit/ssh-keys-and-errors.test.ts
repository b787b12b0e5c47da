import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { agentUnreachableReason, describeCredentials } from '../../src/ssh/credentials.js';
import { checkPrivateKeyPermissions, readPrivateKeyFile } from '../../src/ssh/keys.js';
import { resolveSshOptions, sshUrlOf } from '../../src/ssh/options.js';
import { canWrite, findAccount } from '../../src/ssh/remote-socket.js';
import { mapSshConnectError } from '../../src/ssh/ssh-errors.js';

const fileStats = (mode: number, uid = 1000) => ({ mode: 0o100000 | mode, uid, isFile: () => true });

describe('private key permissions', () => {
  it('refuses a key of ours readable by group or others, with the chmod to run', () => {
    for (const mode of [0o640, 0o604, 0o644, 0o660, 0o700 | 0o070]) {
      assert.throws(() => checkPrivateKeyPermissions('/k/id', fileStats(mode), 1000), (error: unknown) => {
        assert.ok(isPksError(error));
        assert.equal(error.code, 'E_SSH_KEY_PERMISSIONS');
        assert.equal(error.hint, 'Run: chmod 600 /k/id');
        return true;
      });
    }
  });

  it('accepts 0600 and 0400, and does not judge keys owned by someone else (as OpenSSH)', () => {
    checkPrivateKeyPermissions('/k/id', fileStats(0o600), 1000);
    checkPrivateKeyPermissions('/k/id', fileStats(0o400), 1000);
    checkPrivateKeyPermissions('/k/id', fileStats(0o644, 0), 1000);
  });

  describe('on disk', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pks-keys-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const secret = '-----BEGIN OPENSSH PRIVATE KEY-----\nSECRETSECRET\n-----END OPENSSH PRIVATE KEY-----\n';

    it('refuses a group-readable key file without printing its content', async () => {
      const key = path.join(dir, 'loose');
      writeFileSync(key, secret);
      chmodSync(key, 0o640);
      assert.equal(statSync(key).mode & 0o777, 0o640);
      await assert.rejects(readPrivateKeyFile(key), (error: unknown) => {
        assert.ok(isPksError(error));
        assert.equal(error.code, 'E_SSH_KEY_PERMISSIONS');
        assert.ok(error.message.includes('0640'));
        assert.ok(!`${error.message}${error.hint}`.includes('SECRET'));
        return true;
      });
    });

    it('names a public key given as the private one, before judging its (public) mode', async () => {
      const pub = path.join(dir, 'id_ed25519.pub');
      writeFileSync(pub, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ me@box\n', { mode: 0o644 });
      chmodSync(pub, 0o644);
      await assert.rejects(readPrivateKeyFile(pub), (error: unknown) => {
        assert.ok(isPksError(error));
        assert.equal(error.code, 'E_SSH_KEY_INVALID');
        assert.match(error.message, /holds a public key, not a private key/);
        assert.match(error.hint ?? '', /without \.pub/);
        return true;
      });
    });

    it('reads a 0600 key and reports a missing one', async () => {
      const key = path.join(dir, 'tight');
      writeFileSync(key, secret, { mode: 0o600 });
      assert.equal((await readPrivateKeyFile(key)).toString(), secret);
      await assert.rejects(readPrivateKeyFile(path.join(dir, 'absent')), { code: 'E_SSH_KEY_MISSING' });
    });
  });
});

describe('SSH error mapping', () => {
  const context = { login: 'dev@h.test:2222', host: 'h.test', port: 2222, credentials: 'key /k/id (ssh-ed25519 SHA256:abc)' };
  const tagged = (message: string, fields: Record<string, string>) => Object.assign(new Error(message), fields);

  it('maps authentication failure to E_SSH_AUTH naming the login and the key', () => {
    const error = mapSshConnectError(tagged('All configured authentication methods failed', { level: 'client-authentication' }), context);
    assert.equal(error.code, 'E_SSH_AUTH');
    assert.ok(error.message.includes('dev@h.test:2222'));
    assert.ok(error.message.includes('/k/id'));
  });

  it('maps refused, timed out and unresolvable to E_SSH_UNREACHABLE naming host and port', () => {
    for (const error of [
      tagged('connect ECONNREFUSED', { level: 'client-socket', code: 'ECONNREFUSED' }),
      tagged('Timed out while waiting for handshake', { level: 'client-timeout' }),
      tagged('getaddrinfo ENOTFOUND h.test', { level: 'client-dns', code: 'ENOTFOUND' }),
    ]) {
      const mapped = mapSshConnectError(error, context);
      assert.equal(mapped.code, 'E_SSH_UNREACHABLE');
      assert.match(mapped.message, /h\.test port 2222/);
    }
  });

  it('maps other handshake failures to E_SSH_HANDSHAKE', () => {
    assert.equal(mapSshConnectError(new Error('no matching cipher'), context).code, 'E_SSH_HANDSHAKE');
  });

  it('maps sshd hanging up after MaxAuthTries during authentication to an authentication error with the IdentitiesOnly hint', () => {
    const disconnect = Object.assign(new Error('Too many authentication failures'), { code: 2 });
    const mapped = mapSshConnectError(disconnect, { ...context, authenticating: true });
    assert.equal(mapped.code, 'E_SSH_AUTH_TOO_MANY');
    assert.match(mapped.message, /^SSH authentication failed for dev@h\.test:2222: the server closed the connection after too many authentication attempts/);
    assert.match(mapped.hint ?? '', /IdentitiesOnly yes/);
    // Before authentication started the same words are not about keys.
    assert.equal(mapSshConnectError(disconnect, context).code, 'E_SSH_HANDSHAKE');
  });

  it('says the agent was not reached instead of that the server refused its keys', () => {
    const credentials = { agentSocket: '/run/gone.sock', agentHeld: [], identities: [] };
    assert.equal(describeCredentials(credentials), 'the keys of ssh-agent (/run/gone.sock)');
    const unreachable = describeCredentials(credentials, 'no such socket');
    assert.doesNotMatch(unreachable, /keys of ssh-agent/);
    const mapped = mapSshConnectError(tagged('All configured authentication methods failed', { level: 'client-authentication' }), { ...context, credentials: unreachable });
    assert.equal(mapped.message, 'SSH authentication failed for dev@h.test:2222: nothing was offered: no key; the ssh-agent at /run/gone.sock (SSH_AUTH_SOCK) could not be reached (no such socket), so none of its keys were offered.');
    assert.match(mapped.hint ?? '', /SSH_AUTH_SOCK/);
    assert.equal(agentUnreachableReason(new Error('Failed to connect to agent'), path.join(tmpdir(), 'pks-no-such-agent.sock')), 'no such socket');
    assert.equal(agentUnreachableReason(new Error('Failed to connect to agent'), tmpdir()), 'that path is not a socket');
    assert.equal(agentUnreachableReason(new Error('agent refused operation'), tmpdir()), undefined);
  });
});

describe('SSH options', () => {
  it('defaults port, timeouts and known_hosts, and refuses nonsense as a usage error', () => {
    const options = resolveSshOptions({ host: 'h', username: 'u' });
    assert.equal(options.port, 22);
    assert.equal(options.acceptNewHostKey, false);
    assert.ok(options.knownHostsFiles[0]?.endsWith(path.join('.ssh', 'known_hosts')));
    assert.equal(sshUrlOf(options), 'ssh://u@h:22');
    assert.throws(() => resolveSshOptions({ host: 'h', username: 'u', port: 70000 }), { code: 'E_USAGE' });
  });
});

describe('remote socket diagnosis helpers', () => {
  const passwd = 'root:x:0:0::/root:/bin/sh\ndev:x:1000:1000::/home/dev:/bin/sh\nnodock:x:1001:1001::/home/nodock:/bin/sh\n';
  const group = 'root:x:0:\ndocker:x:998:dev,other\ndev:x:1000:\nnodock:x:1001:\n';
  const socket = { mode: 0o140660, uid: 0, gid: 998 };

  it('knows who may connect to a root:docker 0660 socket', () => {
    const dev = findAccount('dev', passwd, group);
    const nodock = findAccount('nodock', passwd, group);
    assert.ok(dev && nodock);
    assert.equal(canWrite(socket, dev), true);
    assert.equal(canWrite(socket, nodock), false);
    assert.equal(canWrite({ ...socket, mode: 0o140666 }, nodock), true);
    assert.equal(findAccount('ghost', passwd, group), undefined);
  });
});
