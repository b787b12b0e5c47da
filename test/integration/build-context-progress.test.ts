// A build context on its way to a remote engine: buildImage reports how much
// of it was sent (context-progress events, the last one `done` with every
// byte), and spawn's renderer draws it as docker does — a live "Sending build
// context" line on a terminal, one summary line with or without one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { SpawnRenderer } from '../../src/cli/commands/devcontainer/spawn-render.js';
import { CommandContext } from '../../src/cli/context.js';
import { openSshEngine, type EngineClient } from '../../src/engine/index.js';
import { createBuildContext } from '../../src/image/build-context.js';
import { buildImage } from '../../src/image/image-build.js';
import type { PrepareProgressEvent } from '../../src/image/index.js';
import { MemoryWritable } from '../helpers/memory-io.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';

let env: TestEnv;
let r1: EngineClient;
let dir: string;
const tag = `pks-test/context-progress-${randomBytes(4).toString('hex')}:latest`;
const BLOB_BYTES = 3 * 1024 * 1024;

before(async () => {
  env = loadTestEnv();
  r1 = await openSshEngine({ host: env.r1.host, port: env.r1.port, username: env.r1.user, privateKeyPath: env.r1.key, knownHostsFiles: [env.knownHosts] });
  dir = await mkdtemp(path.join(os.tmpdir(), 'pks-context-progress-'));
  await writeFile(path.join(dir, 'blob'), randomBytes(BLOB_BYTES));
  await writeFile(path.join(dir, 'Dockerfile'), `FROM ${env.images.busybox}\nCOPY blob /blob\n`);
});
after(async () => {
  await r1.requestEmpty({ method: 'DELETE', path: `/images/${encodeURIComponent(tag)}`, query: { force: 1 } }).catch(() => undefined);
  await r1.close();
  await rm(dir, { recursive: true, force: true });
});

function renderer(tty: boolean): { render: SpawnRenderer; stderr: MemoryWritable } {
  const stdout = new MemoryWritable();
  const stderr = new MemoryWritable();
  stderr.isTTY = tty;
  const stdin = new PassThrough().end();
  const ctx = new CommandContext({ stdin, stdout, stderr, env: { NO_COLOR: '1' }, cwd: dir });
  return { render: new SpawnRenderer(ctx), stderr };
}

describe('build context progress', () => {
  it('a remote build reports the context it sent, the last event with every byte', async () => {
    const events: PrepareProgressEvent[] = [];
    const context = await createBuildContext({ contextDir: dir, dockerfile: path.join(dir, 'Dockerfile') });
    const plain = renderer(false);
    await buildImage(r1, {
      context: context.stream,
      dockerfile: context.dockerfile,
      tag,
      phase: 'build',
      description: 'the test image',
      onProgress: (event) => {
        events.push(event);
        plain.render.event(event as Parameters<SpawnRenderer['event']>[0]);
      },
    });
    plain.render.finish();
    const sent = events.filter((event): event is Extract<PrepareProgressEvent, { type: 'context-progress' }> => event.type === 'context-progress');
    assert.ok(sent.length >= 1, 'context progress reported');
    const last = sent.at(-1);
    assert.equal(last?.done, true);
    assert.equal(sent.filter((event) => event.done).length, 1);
    assert.ok((last?.bytes ?? 0) > BLOB_BYTES, `${last?.bytes} bytes sent`);
    assert.equal((last?.bytes ?? 0) % 512, 0, 'a whole tar');
    for (let i = 1; i < sent.length; i += 1) assert.ok((sent[i]?.bytes ?? 0) >= (sent[i - 1]?.bytes ?? 0));
    // The context is sent before the build's first step.
    const firstStep = events.findIndex((event) => event.type === 'build-output');
    assert.ok(firstStep > events.indexOf(last as PrepareProgressEvent), 'context first, then the steps');
    // Without a terminal: no live line, one summary line.
    assert.doesNotMatch(plain.stderr.text, /Sending build context|\r/);
    assert.equal(plain.stderr.text.match(/sent build context: 3\.\d MiB in \d+\.\d s, [\d.]+ \w+\/s\n/g)?.length, 1, plain.stderr.text);
  });

  it('on a terminal the line is live, then ends with the same summary', () => {
    const { render, stderr } = renderer(true);
    render.event({ type: 'context-progress', phase: 'build', bytes: 1024 * 1024, done: false, durationMs: 100 });
    render.event({ type: 'context-progress', phase: 'build', bytes: 5 * 1024 * 1024, done: false, durationMs: 200 });
    render.event({ type: 'context-progress', phase: 'build', bytes: 6 * 1024 * 1024, done: true, durationMs: 2000 });
    render.event({ type: 'build-output', phase: 'build', line: 'Step 1/2 : FROM busybox' });
    render.finish();
    const text = stderr.text;
    assert.match(text, /^\r {2}Sending build context: 1\.0 MiB {2,}\r {2}Sending build context: 5\.0 MiB {2,}\n/);
    assert.match(text, /sent build context: 6\.0 MiB in 2\.0 s, 3\.0 MiB\/s\n/);
    assert.match(text, /Step 1\/2 : FROM busybox/);
  });
});
