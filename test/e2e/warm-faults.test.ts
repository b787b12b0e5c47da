// Warm connections when the link to the host dies (on the fault host pks-r3,
// under the faults lock): the holder notices (SSH keepalive, or the server
// dropping the connection), exits and removes its sockets, and the next
// command after the repair starts a fresh holder without an error.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openFaultSuite, type FaultHost } from '../helpers/faults.js';
import type { Sandbox } from '../helpers/pks-cli.js';
import { waitFor } from '../helpers/wait.js';
import { alive, settledHolders } from '../helpers/warm-holders.js';

const WARM = { PKS_NO_PERSIST: '', PKS_PERSIST_IDLE_SECONDS: '300' };
const LIST = ['devcontainer', 'list', '--remote', 'r3', '--format', 'json'];
let sandbox: Sandbox;
let faults: FaultHost;
let release: () => Promise<void>;

before(async () => {
  ({ sandbox, faults, release } = await openFaultSuite(['r3']));
});

after(async () => {
  try {
    await faults.repair();
    await sandbox.run(['remote', 'disconnect', '--all'], { env: WARM });
    await sandbox.cleanup();
  } finally {
    await release();
  }
});

async function holderPid(): Promise<number | undefined> {
  return (await settledHolders(sandbox.pksHome))[0];
}

async function sockets(): Promise<string[]> {
  return (await readdir(path.join(sandbox.pksHome, 'run')).catch(() => [])).filter((name) => /\.(sock|ctl)$/.test(name));
}

async function warmHolder(): Promise<number> {
  const listed = await sandbox.run(LIST, { env: WARM });
  assert.equal(listed.code, 0, listed.stderr);
  const pid = await holderPid();
  assert.ok(pid !== undefined, 'a holder runs');
  return pid;
}

describe('warm connection: a dead link ends the holder', () => {
  it('sshd killed: the holder exits at once; after the repair the next command starts a new one, no error', async () => {
    const pid = await warmHolder();
    await faults.killSshd();
    await waitFor(() => !alive(pid), { timeoutMs: 10_000, message: 'the holder exited when the server dropped the connection' });
    assert.deepEqual(await sockets(), [], 'its sockets are removed');
    await faults.repairHost();
    const again = await sandbox.run(LIST, { env: WARM });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, '', 'no warning, no error');
    const next = await holderPid();
    assert.ok(next !== undefined && next !== pid, 'a fresh holder');
  });

  it('link cut: SSH keepalive ends the holder within ~20 s', async () => {
    const pid = await warmHolder();
    await faults.cutLink();
    await waitFor(() => !alive(pid), { timeoutMs: 40_000, intervalMs: 250, message: 'the holder noticed the dead link' });
    assert.deepEqual(await sockets(), []);
    await faults.repairHost();
    const again = await sandbox.run(LIST, { env: WARM });
    assert.equal(again.code, 0, again.stderr);
  });
});
