import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJumpHost, resolveSshConfig, tokenizeConfigLine, type SshConfigSource } from '../../src/ssh/ssh-config.js';

function memorySource(files: Record<string, string>): SshConfigSource {
  return {
    home: '/home/u',
    readFile: (file) => files[file],
    glob: (pattern) => {
      if (!pattern.includes('*')) return [pattern];
      const prefix = pattern.slice(0, pattern.indexOf('*'));
      return Object.keys(files).filter((f) => f.startsWith(prefix)).sort();
    },
  };
}

const resolve = (alias: string, files: Record<string, string>) =>
  resolveSshConfig(alias, { files: ['/home/u/.ssh/config'], source: memorySource(files), localUser: 'me' });

describe('ssh_config', () => {
  it('tokenizes "Key value", "Key=value", quotes and comments', () => {
    assert.deepEqual(tokenizeConfigLine('  HostName   example.com  '), { keyword: 'hostname', args: ['example.com'] });
    assert.deepEqual(tokenizeConfigLine('Port=2222'), { keyword: 'port', args: ['2222'] });
    assert.deepEqual(tokenizeConfigLine('IdentityFile "~/my keys/id" # comment'), { keyword: 'identityfile', args: ['~/my keys/id'] });
    assert.equal(tokenizeConfigLine('# only a comment'), undefined);
    assert.equal(tokenizeConfigLine('   '), undefined);
  });

  it('resolves an alias: first value wins, IdentityFile accumulates, tokens expand', () => {
    const config = `
Host box
  HostName 10.0.0.5
  User dev
  Port 2200
  IdentityFile ~/.ssh/box_%r
Host *
  User fallback
  Port 22
  IdentityFile %d/.ssh/id_ed25519
`;
    const host = resolve('box', { '/home/u/.ssh/config': config });
    assert.equal(host.hostName, '10.0.0.5');
    assert.equal(host.user, 'dev');
    assert.equal(host.port, 2200);
    assert.deepEqual(host.identityFiles, ['/home/u/.ssh/box_dev', '/home/u/.ssh/id_ed25519']);
    const other = resolve('other', { '/home/u/.ssh/config': config });
    assert.equal(other.hostName, undefined);
    assert.equal(other.user, 'fallback');
  });

  it('honours wildcards and negation in Host lines', () => {
    const config = 'Host *.prod !db.prod\n  User ops\nHost db.prod\n  User dba\n';
    assert.equal(resolve('web.prod', { '/home/u/.ssh/config': config }).user, 'ops');
    assert.equal(resolve('db.prod', { '/home/u/.ssh/config': config }).user, 'dba');
  });

  it('follows Include relative to ~/.ssh, with globs', () => {
    const files = {
      '/home/u/.ssh/config': 'Include config.d/*\nInclude /home/u/.pks/ssh_config\n',
      '/home/u/.ssh/config.d/a': 'Host a\n  HostName a.example\n',
      '/home/u/.pks/ssh_config': 'Host pks-x\n  HostName 10.1.1.1\n  ProxyJump jump@bastion:2222\n',
    };
    assert.equal(resolve('a', files).hostName, 'a.example');
    const x = resolve('pks-x', files);
    assert.equal(x.hostName, '10.1.1.1');
    assert.equal(x.proxyJump, 'jump@bastion:2222');
  });

  it('applies Match host / all and ignores criteria it does not know', () => {
    const config = 'Host gw\n  HostName gw.example\nMatch host gw.example\n  User matched\nMatch exec "true"\n  Port 9\nMatch all\n  Port 2022\n';
    const gw = resolve('gw', { '/home/u/.ssh/config': config });
    assert.equal(gw.user, 'matched');
    assert.equal(gw.port, 2022);
  });

  it('parses ProxyJump hops', () => {
    assert.deepEqual(parseJumpHost('jump@bastion:2222'), { host: 'bastion', user: 'jump', port: 2222 });
    assert.deepEqual(parseJumpHost('bastion'), { host: 'bastion' });
    assert.deepEqual(parseJumpHost('[fe80::1]:22,second'), { host: 'fe80::1', port: 22 });
    assert.deepEqual(parseJumpHost('ssh://u@h:23'), { host: 'h', user: 'u', port: 23 });
  });

  it('reads the liveness settings: ConnectTimeout, ServerAliveInterval (0 turns keepalives off), ServerAliveCountMax', () => {
    const config = 'Host a\n  ConnectTimeout 7\n  ServerAliveInterval 0\n  ServerAliveCountMax 4\nHost *\n  ConnectTimeout 30\n  ServerAliveInterval 60\n  ServerAliveCountMax nonsense\n';
    const a = resolve('a', { '/home/u/.ssh/config': config });
    assert.equal(a.connectTimeout, 7);
    assert.equal(a.serverAliveInterval, 0);
    assert.equal(a.serverAliveCountMax, 4);
    const b = resolve('b', { '/home/u/.ssh/config': config });
    assert.equal(b.connectTimeout, 30);
    assert.equal(b.serverAliveInterval, 60);
    assert.equal(b.serverAliveCountMax, undefined, 'an invalid value is ignored');
  });
});
