// A command that finds no warm connection to its host connects directly (as
// with --no-persist: it never waits for a holder's SSH login) and, once done
// with the engine, hands the holder's start to the background, with the
// keepalive ssh_config sets (ServerAliveInterval/ServerAliveCountMax). Against
// pks-r1, with a launcher that records what it is given instead of starting
// a process.

import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openRegisteredEngine } from '../../src/core/remote/registered-host-engine.js';
import { registerHolderLauncher } from '../../src/core/remote/warm-launch.js';
import { NO_RETRY } from '../../src/common/retry.js';
import { loadTestEnv } from '../helpers/test-env.js';

const env = loadTestEnv();
const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('warm connection: a cold command', () => {
  it('connects directly and starts the holder in the background once done, with the keepalive of ssh_config', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'pks-warm-bg-'));
    dirs.push(home);
    await mkdir(path.join(home, '.ssh'), { mode: 0o700 });
    await copyFile(env.knownHosts, path.join(home, '.ssh', 'known_hosts'));
    await writeFile(
      path.join(home, '.ssh', 'config'),
      `Host pksr1alias\n  HostName ${env.r1.host}\n  Port ${env.r1.port}\n  User ${env.r1.user}\n  IdentityFile ${env.r1.key}\n  ServerAliveInterval 7\n  ServerAliveCountMax 2\n`,
    );
    const launched: Array<{ request: Record<string, unknown>; background: boolean }> = [];
    registerHolderLauncher(async (request, options) => {
      launched.push({ request: JSON.parse(request) as Record<string, unknown>, background: options?.background === true });
      return '';
    });
    const target = await openRegisteredEngine(
      { id: 'r1', host: 'pksr1alias', dockerSocket: env.r1.dockerSocket, addedAt: new Date().toISOString() },
      { env: { PATH: process.env.PATH, HOME: home, PKS_HOME: path.join(home, 'pks') }, retry: NO_RETRY },
    );
    try {
      assert.ok(Array.isArray(await target.engine.listContainers({ all: true })), 'the engine answers over the direct connection');
      assert.equal(launched.length, 0, 'no holder is started (or waited for) while the command works');
    } finally {
      await target.engine.close();
    }
    assert.equal(launched.length, 1, 'one holder started once the command is done');
    const [{ request, background }] = launched as [(typeof launched)[number]];
    assert.equal(background, true);
    assert.equal(request.background, true, 'the holder takes the start lock itself');
    assert.equal(request.hostId, 'r1');
    assert.deepEqual(request.keepalive, { intervalMs: 7_000, countMax: 2 });
  });
});
