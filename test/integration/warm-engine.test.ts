// The engine client through a warm-connection holder, against pks-r1: a
// holder killed between two calls is replaced once (a read goes through the
// new one); killed again, the next call fails cleanly with a typed error. On
// a slow link (the benchmark's latency relay, 50 ms round trip), a new
// connection's first request rides the channel the holder opened ahead of
// need, and the free-disk check asks the SFTP session the holder keeps: one
// relay turn each.
// Holders run from source here (node --import tsx src/cli/main.ts), so that
// their build matches this process's.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startLatencyRelay } from '../../bench/lib/latency-relay.js';
import { isPksError } from '../../src/common/errors.js';
import { NO_RETRY } from '../../src/common/retry.js';
import { helloOf, openWarmEngine } from '../../src/engine/index.js';
import { launchHolder } from '../../src/process/holder-launch.js';
import { loadTestEnv, repoRoot } from '../helpers/test-env.js';
import { waitFor } from '../helpers/wait.js';
import { alive } from '../helpers/warm-holders.js';

const env = loadTestEnv();
const tmp = mkdtempSync(path.join(tmpdir(), 'pks-warm-engine-'));
const holderEnv = { PATH: process.env.PATH, HOME: tmp, PKS_HOME: path.join(tmp, 'pks') };
const pids = new Set<number>();

after(() => {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
});

describe('warm engine: a holder that goes away', () => {
  it('is started again once for a read; the second loss fails the call with E_ENGINE_CONNECTION', async () => {
    const warm = await openWarmEngine({
      host: env.r1.host,
      port: env.r1.port,
      username: env.r1.user,
      privateKeyPath: env.r1.key,
      knownHostsFiles: [env.knownHosts],
      globalKnownHostsFiles: [],
      socketPath: env.r1.dockerSocket,
      retry: NO_RETRY,
      hostId: 'r1',
      env: holderEnv,
      idleSeconds: 60,
      launch: (request) => launchHolder([process.execPath, '--import', import.meta.resolve('tsx'), path.join(repoRoot, 'src', 'cli', 'main.ts'), '__pks-holder'], holderEnv, request),
    });
    assert.ok(warm !== undefined, 'a warm connection can be kept');
    const control = warm.apiSocket.replace(/\.sock$/, '.ctl');
    try {
      await warm.engine.ping();
      const first = await helloOf(control);
      assert.ok(first !== undefined);
      pids.add(first.pid);
      process.kill(first.pid, 'SIGKILL');
      await waitFor(() => !alive(first.pid), 5_000);

      // The kept-alive connection is dead and the socket refuses: a new holder.
      const containers = await warm.engine.listContainers({ all: true });
      assert.ok(Array.isArray(containers));
      const second = await helloOf(control);
      assert.ok(second !== undefined, 'a new holder answers');
      pids.add(second.pid);
      assert.notEqual(second.pid, first.pid);

      process.kill(second.pid, 'SIGKILL');
      await waitFor(() => !alive(second.pid), 5_000);
      await assert.rejects(warm.engine.listContainers({ all: true }), (error: unknown) => {
        assert.ok(isPksError(error), String(error));
        assert.equal(error.code, 'E_ENGINE_CONNECTION');
        assert.match(error.hint ?? '', /pks remote disconnect r1/);
        return true;
      });
    } finally {
      await warm.engine.close();
    }
  });
});

describe('warm holder on a slow link', () => {
  it('a new connection\'s first request and a repeated free-disk check cost one turn each', async () => {
    const relay = await startLatencyRelay({ targetHost: env.r1.host, targetPort: env.r1.port, upMs: 25, downMs: 25, lifetimeMs: 120_000 });
    const hostKey = readFileSync(env.knownHosts, 'utf8').split('\n').find((line) => line.startsWith(`${env.r1.host} `));
    assert.ok(hostKey !== undefined, 'r1 is in the test known_hosts');
    const knownHosts = path.join(tmp, 'known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${relay.port} ${hostKey.split(' ').slice(1).join(' ')}\n`);
    const warm = await openWarmEngine({
      host: '127.0.0.1',
      port: relay.port,
      username: env.r1.user,
      privateKeyPath: env.r1.key,
      knownHostsFiles: [knownHosts],
      globalKnownHostsFiles: [],
      socketPath: env.r1.dockerSocket,
      retry: NO_RETRY,
      hostId: 'r1slow',
      // As recorded by \`remote add\`: no version request first.
      knownApiVersion: '1.41',
      env: holderEnv,
      idleSeconds: 60,
      launch: (request) => launchHolder([process.execPath, '--import', import.meta.resolve('tsx'), path.join(repoRoot, 'src', 'cli', 'main.ts'), '__pks-holder'], holderEnv, request),
    });
    assert.ok(warm !== undefined);
    const hello = await helloOf(warm.apiSocket.replace(/\.sock$/, '.ctl'));
    if (hello !== undefined) pids.add(hello.pid);
    try {
      // Let the holder's own start-up traffic (the spare channel, the SFTP session) finish.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const turns = async (work: () => Promise<unknown>): Promise<number> => {
        const before = relay.turns;
        await work();
        return relay.turns - before;
      };
      assert.equal(await turns(() => warm.engine.listContainers({ all: true })), 1, 'the first request: no channel to open first');
      assert.equal(await turns(() => warm.engine.hostDiskFree('/var/lib/docker')), 1, 'free disk: one statvfs on the kept session');
      assert.equal(await turns(() => warm.engine.hostDiskFree('/var/lib/docker')), 1);
    } finally {
      await warm.engine.close();
      await relay.close();
    }
  });
});
