// The engine client through a warm-connection holder, against pks-r1: a
// holder killed between two calls is replaced once (a read goes through the
// new one); killed again, the next call fails cleanly with a typed error.
// Holders run from source here (node --import tsx src/cli/main.ts), so that
// their build matches this process's.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
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
