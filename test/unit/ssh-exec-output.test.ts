// SshConnection.execOutput against a stand-in ssh2 client that delivers the
// exec's success, output, exit status and close in one go, as ssh2 does when
// they arrive in one read (seen on a loaded machine: `id -u && id -g` answered
// in full, its exit status lost).

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { SshConnection } from '../../src/ssh/connection.js';
import { resolveSshOptions } from '../../src/ssh/options.js';

type ExecCallback = (error: Error | undefined, channel: Readable) => void;

/** A channel like ssh2's: its output already in, closed once that output was read. */
function answeredChannel(output: string): Readable & { stderr: Readable; close: () => void } {
  const channel = Object.assign(new Readable({ read() {} }), { stderr: new Readable({ read() {} }), close: () => undefined });
  channel.push(output);
  channel.push(null);
  channel.stderr.push(null);
  channel.once('end', () => channel.emit('close'));
  return channel;
}

/** A client whose exec calls back on success, then, in the same tick, emits the exit status that came with it. */
function connectionAnswering(output: string, ...exit: unknown[]): SshConnection {
  return connectionWith((_command, callback) => {
    const channel = answeredChannel(output);
    callback(undefined, channel);
    channel.emit('exit', ...exit);
  });
}

function connectionWith(exec: (command: string, callback: ExecCallback) => void): SshConnection {
  const connection = new SshConnection(resolveSshOptions({ host: 'h', username: 'u', identityFiles: [] }));
  // The connected client, as ready() keeps it after a handshake.
  (connection as unknown as { client: unknown }).client = { exec };
  return connection;
}

describe('execOutput', () => {
  it('keeps the exit status that comes in the same read as the exec success', async () => {
    const answer = await connectionAnswering('1001\n1001\n', 0).execOutput('id -u && id -g', { timeoutMs: 5_000, maxBytes: 256 });
    assert.deepEqual(answer, { code: 0, stdout: '1001\n1001\n' });
  });

  it('reports a non-zero exit status, and none for a command killed by a signal', async () => {
    assert.deepEqual(await connectionAnswering('', 3).execOutput('false', { timeoutMs: 5_000, maxBytes: 256 }), { code: 3, stdout: '' });
    assert.deepEqual(await connectionAnswering('', null, 'SIGKILL').execOutput('sleep 9', { timeoutMs: 5_000, maxBytes: 256 }), { code: undefined, stdout: '' });
  });

  it('keeps no output past its cap', async () => {
    const answer = await connectionAnswering('x'.repeat(300), 0).execOutput('yes', { timeoutMs: 5_000, maxBytes: 256 });
    assert.equal(answer.stdout, '');
  });
});
