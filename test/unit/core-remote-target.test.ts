import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveRemoteTarget } from '../../src/core/remote/host-ssh-target.js';
import type { RemoteHost } from '../../src/store/remote-host-store.js';

let home: string;
let config: string;
before(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'pks-target-'));
  config = path.join(home, 'ssh_config');
  await writeFile(
    config,
    'Host box\n  HostName 192.0.2.10\n  User cfguser\n  Port 2200\n  IdentityFile ~/.ssh/box_key\n  ProxyJump hop@bastion:2022\nHost only\n  IdentitiesOnly yes\n  IdentityFile ~/.ssh/only_key\n' +
      'Host lively\n  ConnectTimeout 4\n  ServerAliveInterval 2\n  ServerAliveCountMax 5\n',
  );
});
after(() => rm(home, { recursive: true, force: true }));

const entry = (extra: Partial<RemoteHost> = {}): RemoteHost => ({
  id: 'h',
  host: 'box',
  dockerSocket: '/var/run/docker.sock',
  addedAt: '2026-11-28T08:00:00.000Z',
  ...extra,
});

describe('resolveRemoteTarget', () => {
  const env = () => ({ HOME: home, USER: 'me', SSH_AUTH_SOCK: '/tmp/agent.sock', PKS_HOME: path.join(home, '.pks') });

  it('takes HostName, User, Port, IdentityFile and ProxyJump from ssh_config', () => {
    const target = resolveRemoteTarget(entry(), { env: env(), sshConfigFiles: [config] });
    const o = target.options;
    assert.equal(o.host, '192.0.2.10');
    assert.equal(o.username, 'cfguser');
    assert.equal(o.port, 2200);
    assert.equal(o.privateKeyPath, undefined);
    assert.deepEqual(o.identityFiles, [
      path.join(home, '.ssh/box_key'),
      path.join(home, '.ssh/id_ed25519'),
      path.join(home, '.ssh/id_ecdsa'),
      path.join(home, '.ssh/id_rsa'),
    ]);
    assert.equal(o.agentSocket, '/tmp/agent.sock');
    // ssh_config's default UserKnownHostsFile (both files), then pks's own.
    assert.deepEqual(o.knownHostsFiles, [path.join(home, '.ssh/known_hosts'), path.join(home, '.ssh/known_hosts2'), path.join(home, '.pks/known_hosts')]);
    assert.equal(o.globalKnownHostsFiles, undefined, 'no GlobalKnownHostsFile: the ssh layer\'s default applies');
    assert.equal(o.revokedHostKeys, undefined);
    assert.equal(o.knownHostsAcceptFile, path.join(home, '.pks/known_hosts'));
    assert.equal(o.jump?.host, 'bastion');
    assert.equal(o.jump?.username, 'hop');
    assert.equal(o.jump?.port, 2022);
    assert.equal(target.login, 'cfguser@192.0.2.10:2200');
  });

  it('explicit entry values win over ssh_config', () => {
    const o = resolveRemoteTarget(entry({ user: 'u', port: 22, key: '~/k' }), { env: env(), sshConfigFiles: [config] }).options;
    assert.equal(o.username, 'u');
    assert.equal(o.port, 22);
    assert.equal(o.privateKeyPath, path.join(home, 'k'));
    assert.equal(o.socketPath, '/var/run/docker.sock');
  });

  it('ConnectTimeout and ServerAlive* set the handshake timeout and the keepalives; defaults otherwise', () => {
    const lively = resolveRemoteTarget(entry({ host: 'lively' }), { env: env(), sshConfigFiles: [config] }).options;
    assert.equal(lively.readyTimeoutMs, 4000);
    assert.equal(lively.keepaliveIntervalMs, 2000);
    assert.equal(lively.keepaliveCountMax, 5);
    const plain = resolveRemoteTarget(entry(), { env: env(), sshConfigFiles: [config] }).options;
    assert.equal(plain.readyTimeoutMs, 10_000);
    assert.equal(plain.keepaliveIntervalMs, undefined, 'the connection default (15 s) applies');
    assert.equal(resolveRemoteTarget(entry({ host: 'lively' }), { env: env(), sshConfigFiles: [config], timeoutMs: 9000 }).options.readyTimeoutMs, 9000, '--timeout wins');
  });

  it('IdentitiesOnly drops the agent and the default keys', () => {
    const o = resolveRemoteTarget(entry({ host: 'only' }), { env: env(), sshConfigFiles: [config] }).options;
    assert.equal(o.agentSocket, undefined);
    assert.deepEqual(o.identityFiles, [path.join(home, '.ssh/only_key')]);
    assert.equal(o.username, 'me', 'defaults to the local user');
    assert.equal(o.host, 'only');
  });
});
