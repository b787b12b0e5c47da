// The workplace options' pure decisions: which agent socket is forwarded
// (flag, PKS_NO_SSH_AGENT, an SSH_AUTH_SOCK that does not answer), what a
// dotfiles repository argument means, and dotfiles flags without a repository.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { dotfilesRepositoryUrl } from '../../src/core/containers/dotfiles.js';
import { agentToForward } from '../../src/core/containers/ssh-agent.js';
import { dotfilesOptions } from '../../src/cli/commands/devcontainer/spawn-run.js';

let dir: string;
let listening: string;
let server: net.Server;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pks-workplace-'));
  listening = path.join(dir, 'agent.sock');
  server = net.createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(listening, resolve));
});
after(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the agent socket to forward', () => {
  it('is SSH_AUTH_SOCK when it answers', async () => {
    assert.equal(await agentToForward({ SSH_AUTH_SOCK: listening }, undefined), listening);
    assert.equal(await agentToForward({ SSH_AUTH_SOCK: listening }, true), listening);
  });
  it('is none with --no-ssh-agent, PKS_NO_SSH_AGENT=1, no SSH_AUTH_SOCK, or one nobody answers on', async () => {
    assert.equal(await agentToForward({ SSH_AUTH_SOCK: listening }, false), undefined);
    assert.equal(await agentToForward({ SSH_AUTH_SOCK: listening, PKS_NO_SSH_AGENT: '1' }, undefined), undefined);
    assert.equal(await agentToForward({ SSH_AUTH_SOCK: listening, PKS_NO_SSH_AGENT: '0' }, undefined), listening, '0 means not off');
    assert.equal(await agentToForward({}, undefined), undefined);
    assert.equal(await agentToForward({ SSH_AUTH_SOCK: path.join(dir, 'gone.sock') }, undefined), undefined);
  });
});

describe('the dotfiles repository', () => {
  it('owner/repo is a GitHub repository; URLs and paths are used as given', () => {
    assert.equal(dotfilesRepositoryUrl('ada/dotfiles'), 'https://github.com/ada/dotfiles.git');
    for (const given of ['https://example.org/d.git', 'git@example.org:ada/d.git', 'file:///srv/d.git', '/srv/d.git', './d', '../d']) {
      assert.equal(dotfilesRepositoryUrl(given), given);
    }
  });
  it('its options without --dotfiles-repository are refused as usage errors (exit 2); the target path defaults to ~/dotfiles', () => {
    for (const flags of [{ dotfilesInstallCommand: 'setup' }, { dotfilesTargetPath: '/opt/d' }]) {
      assert.throws(() => dotfilesOptions(flags), (error: unknown) => isPksError(error) && error.exitCode === 2 && /needs --dotfiles-repository/.test(error.message));
    }
    assert.equal(dotfilesOptions({}), undefined);
    assert.deepEqual(dotfilesOptions({ dotfilesRepository: 'ada/dotfiles' }), { repository: 'ada/dotfiles', installCommand: undefined, targetPath: '~/dotfiles' });
  });
});
