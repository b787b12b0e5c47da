// The Docker API endpoint pks hands to the field's own tools (the docker CLI,
// Compose): the real docker CLI, pointed at it through DOCKER_HOST, reaches the
// same engine as pks, locally and on pks-r1 over a direct SSH connection; the
// SSH bridge is private to the user and gone once closed.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import type { EngineClient } from '../../src/engine/index.js';
import { engineFor } from '../helpers/projects.js';
import { loadTestEnv } from '../helpers/test-env.js';

const env = loadTestEnv();
const run = promisify(execFile);
const tmp = mkdtempSync(path.join(tmpdir(), 'pks-tool-endpoint-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The engine's ID as the docker CLI sees it through `dockerHost`. */
async function engineIdThrough(dockerHost: string): Promise<string> {
  const { stdout } = await run('docker', ['info', '--format', '{{.ID}}'], {
    env: { PATH: process.env.PATH, HOME: tmp, DOCKER_CONFIG: path.join(tmp, 'docker'), DOCKER_HOST: dockerHost },
  });
  return stdout.trim();
}

const engines: [string, () => Promise<EngineClient>][] = [
  ['the local engine', () => engineFor(env, 'local')],
  ['pks-r1 over a direct SSH connection', () => engineFor(env, 'r1')],
];

for (const [name, open] of engines) {
  describe(`tool endpoint of ${name}`, () => {
    it('lets the docker CLI reach the same engine as pks', async () => {
      const engine = await open();
      try {
        const endpoint = await engine.toolEndpoint();
        try {
          assert.match(endpoint.dockerHost, /^unix:\/\//);
          assert.equal(await engineIdThrough(endpoint.dockerHost), (await engine.info()).ID);
        } finally {
          await endpoint.close();
        }
      } finally {
        await engine.close();
      }
    });
  });
}

describe('tool endpoint over SSH', () => {
  it('is a 0600 socket in a 0700 folder, removed when closed', async () => {
    const engine = await engines[1]![1]();
    try {
      const endpoint = await engine.toolEndpoint();
      const socket = endpoint.dockerHost.slice('unix://'.length);
      assert.equal(statSync(socket).mode & 0o777, 0o600);
      assert.equal(statSync(path.dirname(socket)).mode & 0o777, 0o700);
      // Two concurrent tool calls: each connection gets its own channel.
      const [a, b] = await Promise.all([engineIdThrough(endpoint.dockerHost), engineIdThrough(endpoint.dockerHost)]);
      assert.equal(a, b);
      await endpoint.close();
      await endpoint.close();
      assert.equal(existsSync(path.dirname(socket)), false);
    } finally {
      await engine.close();
    }
  });
});
