// Which identities a login offers when the named key is encrypted: asked for on
// a terminal, left to the ssh-agent without one (as `ssh` does, and as the
// error's own hint says), refused with that hint when there is neither.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { loadCredentials } from '../../src/ssh/credentials.js';
import { resolveSshOptions, type SshPrompts } from '../../src/ssh/index.js';

const PASSPHRASE = 'correct horse battery staple';
const dir = mkdtempSync(path.join(tmpdir(), 'pks-credentials-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const keyFile = path.join(dir, 'id_encrypted');
// Made by OpenSSH, as users' keys are: about 1 in 60 encrypted keys from
// ssh2's own generateKeyPairSync cannot be read back by ssh2 (seen as this
// test failing now and then).
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-a', '4', '-N', PASSPHRASE, '-C', '', '-f', keyFile]);

function options(extra: { agentSocket?: string; prompts?: SshPrompts } = {}) {
  return resolveSshOptions({ host: 'h', username: 'u', privateKeyPath: keyFile, identityFiles: [], ...extra });
}

describe('an encrypted private key', () => {
  it('without a terminal or an agent: refused, pointing at ssh-add, the passphrase never involved', async () => {
    await assert.rejects(loadCredentials(ssh2.utils, options()), (error: unknown) => {
      assert.ok(error instanceof Error && 'code' in error && error.code === 'E_SSH_KEY_ENCRYPTED');
      assert.match(error.message, /is encrypted and no terminal is available/);
      assert.match(String((error as { hint?: string }).hint), new RegExp(`ssh-add ${keyFile.replace(/[.]/g, '\\.')}`));
      return true;
    });
  });

  it('without a terminal but with an agent: left to the agent, and said so if the agent fails too', async () => {
    const credentials = await loadCredentials(ssh2.utils, options({ agentSocket: '/run/agent.sock' }));
    assert.deepEqual(credentials.identities, []);
    assert.equal(credentials.agentSocket, '/run/agent.sock');
    assert.match(credentials.description, new RegExp(`ssh-agent \\(/run/agent\\.sock, expected to hold the encrypted ${keyFile.replace(/[.]/g, '\\.')}: load it with ssh-add\\)`));
  });

  it('on a terminal: the passphrase is asked for and the key used; a wrong one is refused without repeating it', async () => {
    const asked: string[] = [];
    const right = await loadCredentials(ssh2.utils, options({ prompts: { passphrase: async (key) => (asked.push(key), PASSPHRASE) } }));
    assert.deepEqual(asked, [keyFile]);
    assert.equal(right.identities.length, 1);
    assert.doesNotMatch(right.description, new RegExp(PASSPHRASE));
    await assert.rejects(loadCredentials(ssh2.utils, options({ prompts: { passphrase: async () => 'not it' } })), (error: unknown) => {
      assert.ok(error instanceof Error && 'code' in error && error.code === 'E_SSH_KEY_PASSPHRASE');
      assert.doesNotMatch(error.message, /not it/);
      return true;
    });
  });
});
