// The engine client against the real local engine of the test environment.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { isPksError } from '../../src/common/errors.js';
import { compareApiVersions, MAX_API_VERSION, openLocalEngine, type EngineClient } from '../../src/engine/index.js';
import { listsAndExits, loadTestEnv } from '../helpers/test-env.js';

const env = loadTestEnv();
const localHost = { DOCKER_HOST: `unix://${env.localSocket}` };

describe('local engine', () => {
  let client: EngineClient;
  const created: string[] = [];

  before(async () => {
    client = await openLocalEngine(localHost);
  });
  after(async () => {
    for (const id of created) await client.requestEmpty({ method: 'DELETE', path: `/containers/${id}`, query: { force: 1 } }).catch(() => undefined);
    await client.close();
  });

  it('pings, negotiates and reads version and info', async () => {
    const ping = await client.ping();
    assert.match(ping.apiVersion ?? '', /^1\.\d+$/);
    assert.equal(ping.osType, 'linux');
    const version = await client.version();
    assert.equal(version.Os, 'linux');
    assert.equal(await client.apiVersion(), compareApiVersions(version.ApiVersion, MAX_API_VERSION) < 0 ? version.ApiVersion : MAX_API_VERSION);
    const info = await client.info();
    assert.ok(info.NCPU > 0);
    assert.ok(info.MemTotal > 0);
    assert.equal(client.target, `local engine (unix://${env.localSocket})`);
    assert.equal(client.kind, 'local');
  });

  it('lists containers, with label filters selecting exactly ours', async () => {
    const label = `pks.test.engine-${randomBytes(6).toString('hex')}`;
    const name = `pks-test-engine-local-${randomBytes(4).toString('hex')}`;
    const { Id } = await client.request(
      { method: 'POST', path: '/containers/create', query: { name }, body: { Image: env.images.busybox, Cmd: ['true'], Labels: { [label]: 'yes' } } },
      z.looseObject({ Id: z.string() }),
    );
    created.push(Id);
    const all = await client.listContainers({ all: true });
    assert.ok(all.some((container) => container.Id === Id));
    const running = await client.listContainers();
    assert.ok(!running.some((container) => container.Id === Id), 'a created container is not running');
    const mine = await client.listContainers({ all: true, filters: { label: [`${label}=yes`] } });
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.Id, Id);
    assert.deepEqual(mine[0]?.Names, [`/${name}`]);
    assert.equal(mine[0]?.Labels[label], 'yes');
    assert.equal(mine[0]?.State, 'created');
    assert.equal(await client.requestEmpty({ method: 'DELETE', path: `/containers/${Id}`, query: { force: 1 } }), 204);
    created.pop();
    await assert.rejects(client.request({ path: `/containers/${Id}/json` }, z.unknown()), { code: 'E_ENGINE_NOT_FOUND' });
  });
});

describe('local engine failures', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pks-local-engine-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names a missing socket and says to start the engine', async () => {
    const socketPath = path.join(dir, 'missing.sock');
    const client = await openLocalEngine({ DOCKER_HOST: `unix://${socketPath}` });
    try {
      await assert.rejects(client.listContainers(), (error: unknown) => {
        assert.ok(isPksError(error));
        assert.equal(error.code, 'E_ENGINE_UNREACHABLE');
        assert.equal(error.exitCode, 1);
        assert.ok(error.message.includes(socketPath));
        assert.match(error.hint ?? '', /Start the Docker engine/);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it('recognises a stale socket with no listener', async () => {
    const socketPath = path.join(dir, 'stale.sock');
    // A process that exits while listening leaves its socket file behind,
    // exactly like a crashed dockerd.
    await promisify(execFile)(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.exit(0))`,
    ]);
    assert.ok(existsSync(socketPath));
    const client = await openLocalEngine({ DOCKER_HOST: `unix://${socketPath}` });
    try {
      await assert.rejects(client.ping(), (error: unknown) => {
        assert.ok(isPksError(error));
        assert.equal(error.code, 'E_ENGINE_UNREACHABLE');
        assert.match(error.message, /nothing is listening/);
        assert.ok(error.message.includes(socketPath));
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it('refuses a malformed DOCKER_HOST as a usage error', async () => {
    await assert.rejects(openLocalEngine({ DOCKER_HOST: 'tcp://localhost' }), { code: 'E_DOCKER_HOST', exitCode: 2 });
    await assert.rejects(openLocalEngine({ DOCKER_HOST: 'ssh://pksdev@10.0.0.1' }), (error: unknown) => {
      assert.ok(isPksError(error), String(error));
      assert.equal(error.code, 'E_DOCKER_HOST');
      assert.equal(error.exitCode, 2);
      assert.ok(error.hint?.startsWith('Run `pks remote add '), error.hint); // the way pks does reach an engine over SSH
      return true;
    });
  });

  it('lets the process exit by itself after close', async () => {
    await listsAndExits('openLocalEngine', localHost);
  });
});
