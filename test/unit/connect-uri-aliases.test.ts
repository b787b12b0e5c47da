import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { addSshInclude, renderSshConfig, sshIncludeState, writeSshAliases } from '../../src/core/remote/ssh-aliases.js';
import { decodeContainerUri, vscodeContainerUri } from '../../src/core/containers/vscode-uri.js';
import type { RemoteHost } from '../../src/store/remote-host-store.js';

describe('VS Code container URIs', () => {
  it('local: attached-container authority with the hex of {"containerName":"/name"}', () => {
    const uri = vscodeContainerUri({ containerName: 'pks-me-app-1234abcd', workspaceFolder: '/workspaces/app' });
    const hex = Buffer.from('{"containerName":"/pks-me-app-1234abcd"}').toString('hex');
    assert.equal(uri, `vscode-remote://attached-container+${hex}/workspaces/app`);
    assert.deepEqual(decodeContainerUri(uri), { containerName: '/pks-me-app-1234abcd', workspaceFolder: '/workspaces/app' });
  });

  it('remote: nested behind the Remote-SSH alias; odd folder names are percent-encoded and decode back', () => {
    const uri = vscodeContainerUri({ containerName: 'c', workspaceFolder: "/workspaces/it's a \"q\" ü", sshHostAlias: 'pks-r1' });
    assert.match(uri, /^vscode-remote:\/\/attached-container\+[0-9a-f]+@ssh-remote\+pks-r1\/workspaces\/it's%20a%20%22q%22%20%C3%BC$/);
    assert.deepEqual(decodeContainerUri(uri), { containerName: '/c', sshHostAlias: 'pks-r1', workspaceFolder: "/workspaces/it's a \"q\" ü" });
  });
});

describe('SSH aliases for remote hosts', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  const hosts: RemoteHost[] = [
    { id: 'r1', host: '10.0.0.2', user: 'dev', port: 2222, key: '/keys/my key', dockerSocket: '/var/run/docker.sock', addedAt: '2026-11-28T08:00:00.000Z' },
    { id: 'plain', host: 'box.example', dockerSocket: '/var/run/docker.sock', addedAt: '2026-11-28T08:00:00.000Z' },
  ];
  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'pks-alias-'));
    env = { HOME: home, USER: 'me' };
  });
  after(() => rm(home, { recursive: true, force: true }));

  it('writes one Host block per remote into ~/.pks/ssh_config (0600) that ssh -G resolves', async () => {
    const { file } = await writeSshAliases(hosts, env);
    assert.equal(file, path.join(home, '.pks', 'ssh_config'));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const resolved = await promisify(execFile)('ssh', ['-G', '-F', file, 'pks-r1'], { env: { ...process.env, HOME: home } });
    assert.match(resolved.stdout, /^hostname 10\.0\.0\.2$/m);
    assert.match(resolved.stdout, /^user dev$/m);
    assert.match(resolved.stdout, /^port 2222$/m);
    assert.match(resolved.stdout, /^identityfile \/keys\/my key$/m);
    assert.match(resolved.stdout, /^stricthostkeychecking true$/m);
    assert.match(renderSshConfig(hosts, env).text, /Host pks-plain\n {2}HostName box\.example\n {2}User me\n {2}Port 22\n/);
  });

  it('carries the IdentityFile of a host registered by its ~/.ssh/config alias', async () => {
    await mkdir(path.join(home, '.ssh'), { recursive: true });
    await writeFile(path.join(home, '.ssh', 'config'), 'Host box1\n  HostName 10.0.0.7\n  User dev\n  IdentityFile ~/.ssh/box1_key\n  IdentitiesOnly yes\n');
    const aliased: RemoteHost = { id: 'b1', host: 'box1', dockerSocket: '/var/run/docker.sock', addedAt: '2026-11-28T08:00:00.000Z' };
    const { text } = renderSshConfig([aliased], env);
    assert.match(text, new RegExp(`Host pks-b1\\n {2}HostName 10\\.0\\.0\\.7\\n {2}User dev\\n {2}Port 22\\n {2}IdentityFile ${home.replace(/[.]/g, '\\.')}/\\.ssh/box1_key\\n {2}IdentitiesOnly yes\\n`));
    await rm(path.join(home, '.ssh', 'config'));
  });

  it('carries GlobalKnownHostsFile and RevokedHostKeys of the host\'s alias, as ssh -G resolves them', async () => {
    await mkdir(path.join(home, '.ssh'), { recursive: true });
    await writeFile(path.join(home, '.ssh', 'config'), 'Host box2\n  HostName 10.0.0.8\n  GlobalKnownHostsFile ~/global_kh\n  RevokedHostKeys ~/.ssh/revoked\n');
    const aliased: RemoteHost = { id: 'b2', host: 'box2', dockerSocket: '/var/run/docker.sock', addedAt: '2026-11-28T08:00:00.000Z' };
    const { file } = await writeSshAliases([aliased, hosts[1]!], env);
    const resolved = await promisify(execFile)('ssh', ['-G', '-F', file, 'pks-b2'], { env: { ...process.env, HOME: home } });
    assert.ok(resolved.stdout.includes(`globalknownhostsfile ${home}/global_kh\n`), resolved.stdout);
    assert.ok(resolved.stdout.includes(`revokedhostkeys ${home}/.ssh/revoked\n`), resolved.stdout);
    assert.doesNotMatch(renderSshConfig([hosts[1]!], env).text, /GlobalKnownHostsFile|RevokedHostKeys/, 'nothing set: ssh\'s defaults apply');
    await rm(path.join(home, '.ssh', 'config'));
  });

  it('an Include below a Host block does not count; a symlinked ~/.ssh/config stays a symlink', async () => {
    await mkdir(path.join(home, '.ssh'), { recursive: true });
    const dotfiles = path.join(home, 'dotfiles-ssh-config');
    await writeFile(dotfiles, `Host work\n  User someone\nInclude ${path.join(home, '.pks', 'ssh_config')}\n`);
    await symlink(dotfiles, path.join(home, '.ssh', 'config'));
    assert.equal(await sshIncludeState(env), 'absent', 'it belongs to Host work');
    await addSshInclude(env);
    assert.equal(await sshIncludeState(env), 'present');
    assert.ok((await lstat(path.join(home, '.ssh', 'config'))).isSymbolicLink());
    assert.ok((await readFile(dotfiles, 'utf8')).startsWith('# Added by pks'));
    await rm(path.join(home, '.ssh', 'config'));
  });

  it('adds the Include line once, at the top, keeping the rest of ~/.ssh/config byte for byte', async () => {
    await mkdir(path.join(home, '.ssh'), { recursive: true });
    const original = 'Host work\n  User someone\n';
    await writeFile(path.join(home, '.ssh', 'config'), original);
    assert.equal(await sshIncludeState(env), 'absent');
    await addSshInclude(env);
    await addSshInclude(env);
    const text = await readFile(path.join(home, '.ssh', 'config'), 'utf8');
    assert.equal(text.match(/^Include /gm)?.length, 1);
    assert.ok(text.startsWith('# Added by pks'));
    assert.ok(text.endsWith(`\n\n${original}`));
    assert.equal(await sshIncludeState(env), 'present');
  });

  it('leaves out a host whose values cannot be written safely into ssh_config, and only that host', () => {
    const rendered = renderSshConfig([{ ...hosts[1]!, id: 'evil', host: 'evil\n  ProxyCommand sh' }, hosts[0]!], env);
    assert.deepEqual(rendered.skipped.map((s) => s.id), ['evil']);
    assert.match(rendered.skipped[0]!.reason, /value "evil\\n {2}ProxyCommand sh" cannot be written .*line break/);
    assert.doesNotMatch(rendered.text, /ProxyCommand|pks-evil/);
    assert.match(rendered.text, /^Host pks-r1$/m);
  });

  it('escapes backslashes so that ssh reads the value back as it was', async () => {
    const file = path.join(home, 'two\\\\back\\slashes key');
    const { text } = renderSshConfig([{ ...hosts[0]!, key: file }], env);
    const config = path.join(home, 'escaped_config');
    await writeFile(config, text);
    const resolved = await promisify(execFile)('ssh', ['-G', '-F', config, 'pks-r1'], { env: { ...process.env, HOME: home } });
    assert.ok(resolved.stdout.includes(`\nidentityfile ${file}\n`), resolved.stdout);
  });
});
