// What a request through a warm holder costs on a slow link, counted by the
// benchmark's latency relay (50 ms round trip) between the holder and
// pks-r1: the first request of a connection rides the channel the holder
// opened ahead of need (no channel-open round trip first), and the free-disk
// check asks the SFTP session the holder keeps (one statvfs, not a session
// opened for it). Holders run from source (see warm-engine.test.ts).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startLatencyRelay } from '../../bench/lib/latency-relay.js';
import { NO_RETRY } from '../../src/common/retry.js';
import { helloOf, openWarmEngine } from '../../src/engine/index.js';
import { launchHolder } from '../../src/process/holder-launch.js';
import { loadTestEnv, repoRoot } from '../helpers/test-env.js';
import { alive } from '../helpers/warm-holders.js';

const env = loadTestEnv();
const tmp = mkdtempSync(path.join(tmpdir(), 'pks-warm-rtt-'));
const holderEnv = { PATH: process.env.PATH, HOME: tmp, PKS_HOME: path.join(tmp, 'pks') };
const pids = new Set<number>();

after(() => {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
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
