// Image preparation pieces without an engine: the Features Dockerfile, image
// names, progress streams, and pull/build against a fake engine client.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { jsonMessages } from '../../src/image/engine-streams.js';
import { dockerfileQuote, featuresDockerfile } from '../../src/image/features-image.js';
import type { ResolvedFeature } from '../../src/devcontainer/feature-resolve.js';
import { buildImage } from '../../src/image/image-build.js';
import { pullImage } from '../../src/image/image-pull.js';
import { defaultImageName } from '../../src/image/prepare-image.js';
import type { PrepareProgressEvent } from '../../src/image/progress.js';
import { EngineOperationsOverHttp } from '../../src/engine/engine-operations.js';
import type { EngineClient, EngineRequest, EngineResponse } from '../../src/engine/index.js';

function feature(id: string, containerEnv?: Record<string, string>): ResolvedFeature {
  return {
    userId: `./${id}`,
    ref: { kind: 'local', userId: `./${id}`, path: `/p/${id}` },
    value: {},
    given: {},
    options: {},
    metadata: { id, ...(containerEnv === undefined ? {} : { containerEnv }) },
    userDefined: true,
    dependsOn: [],
    installsAfter: [],
  };
}

describe('the Features Dockerfile', () => {
  it('sets each Feature\'s containerEnv before installing it, as root, and restores the image user', () => {
    const text = featuresDockerfile({
      baseImage: 'sha256:abc',
      installs: [
        { feature: feature('one', { A: 'x "quoted" \\ ${PATH}', B: '2' }), folder: '/f/one' },
        { feature: feature('two/odd id'), folder: '/f/two' },
      ],
      imageUser: 'dev',
      containerUser: 'dev',
      remoteUser: 'dev',
    });
    assert.equal(
      text,
      [
        'FROM sha256:abc',
        'USER root',
        'ENV A="x \\"quoted\\" \\\\ ${PATH}" \\',
        '    B="2"',
        'COPY features/00-one/ /tmp/pks-features/00-one/',
        'RUN cd /tmp/pks-features/00-one && chmod -R 0755 . && sh ./pks-install-feature.sh',
        'COPY features/01-two_odd_id/ /tmp/pks-features/01-two_odd_id/',
        'RUN cd /tmp/pks-features/01-two_odd_id && chmod -R 0755 . && sh ./pks-install-feature.sh',
        'USER dev',
        '',
      ].join('\n'),
    );
  });

  it('is only FROM when there is nothing to install (the label comes with the build)', () => {
    assert.equal(featuresDockerfile({ baseImage: 'img', installs: [], imageUser: '', containerUser: 'root', remoteUser: 'root' }), 'FROM img\n');
    assert.equal(dockerfileQuote('a\nb'), '"a\\nb"');
  });
});

describe('default image names', () => {
  it('are valid repository names derived from the folder and the dev container id', () => {
    assert.equal(defaultImageName({ projectPath: '/home/me/My Project (2)', devcontainerId: '0123456789abcdefghij' }), 'pks-my-project-2-0123456789ab');
    assert.equal(defaultImageName({ projectPath: '/tmp/__', devcontainerId: 'zzzzzzzzzzzzzz' }), 'pks-project-zzzzzzzzzzzz');
  });
});

describe('engine progress streams', () => {
  it('parses JSON lines split anywhere, skipping noise', async () => {
    const text = '{"status":"a","id":"1"}\r\n{"stream":"Step 1/2 : FROM x\\n"}\nnot json\n{"aux":{"ID":"sha256:f"}}';
    const chunks = [text.slice(0, 7), text.slice(7, 30), text.slice(30)].map((s) => Buffer.from(s));
    const messages = [];
    for await (const message of jsonMessages(Readable.from(chunks))) messages.push(message);
    assert.deepEqual(messages, [{ status: 'a', id: '1' }, { stream: 'Step 1/2 : FROM x\n' }, { aux: { ID: 'sha256:f' } }]);
  });
});

/** An engine whose raw stream() answers with the given JSON lines and records the request its operations make. */
function fakeEngine(lines: readonly unknown[], seen: EngineRequest[] = []): EngineClient {
  class StreamingEngine extends EngineOperationsOverHttp {
    readonly kind = 'local';
    readonly target = 'fake engine';
    async stream(request: EngineRequest): Promise<EngineResponse> {
      seen.push(request);
      request.bodyStream?.resume();
      const body = Readable.from(lines.map((line) => Buffer.from(`${JSON.stringify(line)}\n`))) as unknown as IncomingMessage;
      return { statusCode: 200, headers: {}, body };
    }
    request(): Promise<never> {
      throw new Error('not used');
    }
    requestEmpty(): Promise<never> {
      throw new Error('not used');
    }
    hijack(): Promise<never> {
      throw new Error('not used');
    }
  }
  return new StreamingEngine() as unknown as EngineClient;
}

describe('pull and build against a fake engine', () => {
  it('turns pull messages into layer progress, sending credentials only when there are some', async () => {
    const seen: EngineRequest[] = [];
    const events: PrepareProgressEvent[] = [];
    const engine = fakeEngine(
      [
        { status: 'Pulling from team/app', id: '1.0' },
        { status: 'Downloading', id: 'abc', progressDetail: { current: 5, total: 10 } },
        { status: 'Pull complete', id: 'abc', progressDetail: {} },
        { status: 'Digest: sha256:x' },
      ],
      seen,
    );
    await pullImage(engine, 'team/app:1.0', { env: { HOME: '/nonexistent' }, onProgress: (e) => events.push(e) });
    assert.deepEqual(seen[0]?.query, { fromImage: 'team/app', tag: '1.0' });
    assert.deepEqual(seen[0]?.headers, {});
    assert.deepEqual(events, [
      { type: 'layer-progress', image: 'team/app:1.0', layer: '1.0', status: 'Pulling from team/app' },
      { type: 'layer-progress', image: 'team/app:1.0', layer: 'abc', status: 'Downloading', current: 5, total: 10 },
      { type: 'layer-progress', image: 'team/app:1.0', layer: 'abc', status: 'Pull complete' },
    ]);
  });

  it('reports a pull error from the stream with a hint', async () => {
    const engine = fakeEngine([{ errorDetail: { message: 'manifest for team/app:9 not found' }, error: 'manifest for team/app:9 not found' }]);
    await assert.rejects(pullImage(engine, 'team/app:9', { env: {} }), (error) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_IMAGE_PULL');
      assert.match(error.message, /team\/app:9 could not be pulled on the fake engine: manifest for team\/app:9 not found/);
      assert.match(error.hint ?? '', /image name and tag/);
      return true;
    });
  });

  it('streams build output line by line, returns the image id, and keeps the tail for errors', async () => {
    const seen: EngineRequest[] = [];
    const events: PrepareProgressEvent[] = [];
    const id = await buildImage(fakeEngine([{ stream: 'Step 1/1 : FROM x\n ---> 1' }, { stream: '23\n' }, { aux: { ID: 'sha256:full' } }, { stream: 'Successfully built 123456789abc\n' }], seen), {
      context: Readable.from([Buffer.alloc(1024)]),
      dockerfile: 'Dockerfile',
      tag: 't',
      args: { A: '1' },
      cacheFrom: ['c'],
      phase: 'build',
      onProgress: (e) => events.push(e),
      description: 'test image',
    });
    assert.equal(id, 'sha256:full');
    assert.deepEqual(seen[0]?.query, { dockerfile: 'Dockerfile', t: 't', buildargs: { A: '1' }, target: undefined, cachefrom: ['c'], labels: undefined, rm: 1, forcerm: 1, nocache: undefined });
    assert.deepEqual(events.filter((e) => e.type !== 'context-progress').map((e) => (e.type === 'build-output' ? e.line : e.type)), ['Step 1/1 : FROM x', ' ---> 123', 'Successfully built 123456789abc']);
    // The fake reads the context whenever it likes: only the total is certain.
    assert.deepEqual(events.filter((e) => e.type === 'context-progress' && e.done).map((e) => e.type === 'context-progress' && e.bytes), [1024]);

    const failing = fakeEngine([{ stream: 'Step 1/2 : RUN false\n' }, { stream: 'oops\n' }, { error: "The command '/bin/sh -c false' returned a non-zero code: 1" }]);
    await assert.rejects(buildImage(failing, { context: Readable.from([]), dockerfile: 'D', phase: 'build', description: 'the image' }), (error) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_IMAGE_BUILD');
      assert.equal(error.message, "Building the image on the fake engine failed: The command '/bin/sh -c false' returned a non-zero code: 1");
      assert.deepEqual(error.details, ['Step 1/2 : RUN false', 'oops']);
      return true;
    });
  });
});
