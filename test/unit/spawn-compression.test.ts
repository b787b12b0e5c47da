import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chooseCompression } from '../../src/core/spawn/compression.js';
import { planUpload } from '../../src/core/spawn/workspace-upload.js';
import type { EngineClient } from '../../src/engine/index.js';

/** Only what chooseCompression uses: the kind and a ping that takes `rttMs` (counted in `pings`). */
function fakeEngine(kind: 'local' | 'ssh', rttMs: number): EngineClient & { pings: number } {
  const engine = {
    kind,
    pings: 0,
    // A link with no delay answers at once: a timer would add the event loop's
    // lag on a busy machine to the measured round trip.
    ping: () => {
      engine.pings += 1;
      return rttMs === 0
        ? Promise.resolve({ apiVersion: '1.41', osType: 'linux' })
        : new Promise((resolve) => setTimeout(() => resolve({ apiVersion: '1.41', osType: 'linux' }), rttMs));
    },
  };
  return engine as unknown as EngineClient & { pings: number };
}

describe('upload compression choice', () => {
  let text: string;
  let noise: string;
  let small: string;
  before(async () => {
    // Above SMALL_UPLOAD_BYTES, so that the link is what decides.
    text = await mkdtemp(path.join(os.tmpdir(), 'pks-gz-'));
    await writeFile(path.join(text, 'main.ts'), 'export const x = 1;\n'.repeat(20_000));
    noise = await mkdtemp(path.join(os.tmpdir(), 'pks-gz-'));
    await writeFile(path.join(noise, 'blob.bin'), randomBytes(400_000));
    small = await mkdtemp(path.join(os.tmpdir(), 'pks-gz-'));
    await writeFile(path.join(small, 'main.ts'), 'export const x = 1;\n'.repeat(5000));
  });
  after(async () => {
    await rm(text, { recursive: true, force: true });
    await rm(noise, { recursive: true, force: true });
    await rm(small, { recursive: true, force: true });
  });

  it('does not measure the link for a small upload, nor for data that does not shrink', async () => {
    const engine = fakeEngine('ssh', 30);
    const choice = await chooseCompression(engine, small, await planUpload(small, undefined));
    assert.equal(choice.gzip, false);
    assert.match(choice.reason, /small upload/);
    const random = await chooseCompression(engine, noise, await planUpload(noise, undefined));
    assert.match(random.reason, /barely compresses/);
    assert.equal(engine.pings, 0);
  });

  it('never compresses for the local engine', async () => {
    assert.equal((await chooseCompression(fakeEngine('local', 50), text, await planUpload(text, undefined))).gzip, false);
  });

  it('does not compress over a fast link', async () => {
    const choice = await chooseCompression(fakeEngine('ssh', 0), text, await planUpload(text, undefined));
    assert.equal(choice.gzip, false);
    assert.match(choice.reason, /fast link/);
  });

  it('compresses source over a slow link, but not data that does not shrink', async () => {
    const source = await chooseCompression(fakeEngine('ssh', 30), text, await planUpload(text, undefined));
    assert.equal(source.gzip, true, source.reason);
    const random = await chooseCompression(fakeEngine('ssh', 30), noise, await planUpload(noise, undefined));
    assert.equal(random.gzip, false);
    assert.match(random.reason, /barely compresses/);
  });
});
