// Features published to the test registry (127.0.0.1:5000), pushed here with
// plain HTTP requests per the OCI distribution spec, then installed on the
// local engine and on a remote engine over SSH; and an image pulled from that
// registry with per-layer progress. Repositories get unique names.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { isPksError } from '../../src/common/errors.js';
import { loadDevcontainerConfig, parseMetadataLabel } from '../../src/devcontainer/index.js';
import { prepareImage, pullImage, type PrepareProgressEvent } from '../../src/image/index.js';
import { inspectImage } from '../../src/image/image-pull.js';
import { tarStream } from '../../src/common/tar/tar-writer.js';
import { openLocalEngine, openSshEngine, type EngineClient } from '../../src/engine/index.js';
import { loadTestEnv } from '../helpers/test-env.js';

const env = loadTestEnv();
const registry = env.registry;
const tmp = mkdtempSync(path.join(tmpdir(), 'pks-dc-registry-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const run = randomBytes(4).toString('hex');
/** A private Feature cache for this run, so published Features are really downloaded. */
const pksEnv = { PKS_HOME: path.join(tmp, 'pks-home'), HOME: tmp };

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function pushBlob(repository: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const start = await fetch(`http://${registry}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202, await start.text());
  const location = new URL(start.headers.get('location') ?? '', `http://${registry}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(put.status, 201, await put.text());
  return digest;
}

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const entries = Object.entries(files).map(([name, text]) => ({
    type: 'file' as const,
    name: `./${name}`,
    mode: name.endsWith('.sh') ? 0o755 : 0o644,
    content: Buffer.from(text),
  }));
  for await (const chunk of tarStream(entries)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Publishes a Feature as the reference CLI does: an OCI artifact with one tar layer. */
async function publishFeature(repository: string, tag: string, metadata: Record<string, unknown>, install: string, annotate: boolean): Promise<string> {
  const featureJson = JSON.stringify(metadata);
  const layer = await tarOf({ 'devcontainer-feature.json': featureJson, 'install.sh': install });
  const layerDigest = await pushBlob(repository, layer);
  const configDigest = await pushBlob(repository, Buffer.alloc(0));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.devcontainers', digest: configDigest, size: 0 },
      layers: [
        {
          mediaType: 'application/vnd.devcontainers.layer.v1+tar',
          digest: layerDigest,
          size: layer.length,
          annotations: { 'org.opencontainers.image.title': `devcontainer-feature-${String(metadata['id'])}.tgz` },
        },
      ],
      ...(annotate ? { annotations: { 'dev.containers.metadata': featureJson } } : {}),
    }),
  );
  const put = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    body: manifest,
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  assert.equal(put.status, 201, await put.text());
  return sha256(manifest);
}

/** Best effort: the test registry may not allow deletes. */
async function unpublish(repository: string, digest: string): Promise<void> {
  await fetch(`http://${registry}/v2/${repository}/manifests/${digest}`, { method: 'DELETE' }).catch(() => undefined);
}

function project(config: unknown): string {
  const dir = path.join(tmp, `project-${randomBytes(4).toString('hex')}`);
  mkdirSync(path.join(dir, '.devcontainer'), { recursive: true });
  writeFileSync(path.join(dir, '.devcontainer', 'devcontainer.json'), JSON.stringify(config));
  return dir;
}

const baseRepo = `pks-test-features/${run}-base`;
const greetRepo = `pks-test-features/${run}-greet`;
const greetRef = `${registry}/${greetRepo}:1`;
const published: Array<[string, string]> = [];

before(async () => {
  // Base: no metadata annotation, so pks must download the layer to read it.
  published.push([baseRepo, await publishFeature(baseRepo, '1', { id: 'base', version: '1.0.0', containerEnv: { BASE_READY: 'yes' } }, '#!/bin/sh\nset -e\necho base > /opt-base-marker\n', false)]);
  published.push([
    greetRepo,
    await publishFeature(
      greetRepo,
      '1',
      {
        id: 'greet',
        version: '1.2.0',
        options: { who: { type: 'string', default: 'world' } },
        dependsOn: { [`${registry}/${baseRepo}:1`]: {} },
        postStartCommand: 'echo greet',
      },
      '#!/bin/sh\nset -e\ntest -f /opt-base-marker\necho "hello $WHO ($BASE_READY)" > /opt-greet-marker\n',
      true,
    ),
  ]);
});
after(async () => {
  for (const [repository, digest] of published) await unpublish(repository, digest);
});

const engines: Array<[string, () => Promise<EngineClient>]> = [
  ['the local engine', () => openLocalEngine({ DOCKER_HOST: `unix://${env.localSocket}` })],
  [
    `the remote engine on ${env.r1.host} over SSH`,
    () =>
      openSshEngine({ host: env.r1.host, port: env.r1.port, username: env.r1.user, privateKeyPath: env.r1.key, knownHostsFiles: [env.knownHosts], socketPath: env.r1.dockerSocket }),
  ],
];

for (const [where, open] of engines) {
  describe(`published Features on ${where}`, () => {
    let engine: EngineClient;
    const images: string[] = [];
    before(async () => {
      engine = await open();
    });
    after(async () => {
      for (const image of images) await engine.requestEmpty({ method: 'DELETE', path: `/images/${image}`, query: { force: 1 } }).catch(() => undefined);
      await engine.close();
    });

    it('installs a Feature from the registry with its dependency, in order, and labels the image', async () => {
      const dir = project({ image: env.images.busybox, features: { [greetRef]: { who: 'oci' } } });
      const loaded = await loadDevcontainerConfig(dir, { env: pksEnv });
      assert.deepEqual(loaded.features.map((f) => f.userId), [`${registry}/${baseRepo}:1`, greetRef]);
      assert.deepEqual(loaded.features.map((f) => f.manifestDigest), published.map(([, digest]) => digest));
      const imageName = `pks-it-oci-${randomBytes(4).toString('hex')}`;
      images.push(imageName);
      const events: PrepareProgressEvent[] = [];
      const prepared = await prepareImage(engine, loaded, { env: pksEnv, imageName, onProgress: (e) => events.push(e) });

      const output = events.flatMap((e) => (e.type === 'build-output' ? [e.line] : []));
      assert.ok(output.some((line) => line.includes('Installing Feature greet 1.2.0')), output.join('\n'));
      const image = await inspectImage(engine, imageName);
      assert.ok(image?.Config?.Env?.includes('BASE_READY=yes'));
      assert.deepEqual(parseMetadataLabel(image?.Config?.Labels?.['devcontainer.metadata']).entries, [
        { id: `${registry}/${baseRepo}:1` },
        { id: greetRef, postStartCommand: 'echo greet' },
      ]);
      assert.deepEqual(prepared.merged.postStartCommands, ['echo greet']);
      // The marker files prove both install scripts ran, in order, with the option.
      const { Id: id } = await engine.request(
        { method: 'POST', path: '/containers/create', body: { Image: imageName, Cmd: ['cat', '/opt-greet-marker'], Labels: { 'pks.test': 'devcontainer-registry' } } },
        z.looseObject({ Id: z.string() }),
      );
      try {
        await engine.requestEmpty({ method: 'POST', path: `/containers/${id}/start` });
        await engine.requestEmpty({ method: 'POST', path: `/containers/${id}/wait` });
        const logs = await engine.stream({ path: `/containers/${id}/logs`, query: { stdout: 1 } });
        const chunks: Buffer[] = [];
        for await (const chunk of logs.body as AsyncIterable<Buffer>) chunks.push(chunk);
        // Multiplexed frames: an 8-byte header then the payload.
        assert.equal(Buffer.concat(chunks).subarray(8).toString(), 'hello oci (yes)\n');
      } finally {
        await engine.requestEmpty({ method: 'DELETE', path: `/containers/${id}`, query: { force: 1 } });
      }
    });
  });
}

describe('published Features: what changes and what fails', () => {
  it('changes the configuration hash when a tag moves to new content', async () => {
    const repo = `pks-test-features/${run}-moving`;
    published.push([repo, await publishFeature(repo, '1', { id: 'moving', version: '1.0.0' }, '#!/bin/sh\necho one\n', true)]);
    const dir = project({ image: env.images.busybox, features: { [`${registry}/${repo}:1`]: {} } });
    const before_ = (await loadDevcontainerConfig(dir, { env: pksEnv })).configHash.hash;
    published.push([repo, await publishFeature(repo, '1', { id: 'moving', version: '1.0.1' }, '#!/bin/sh\necho two\n', true)]);
    assert.notEqual((await loadDevcontainerConfig(dir, { env: pksEnv })).configHash.hash, before_);
  });

  it('says which Feature cannot be found, or which registry cannot be reached', async () => {
    const missing = project({ image: 'x', features: { [`${registry}/pks-test-features/${run}-absent:1`]: {} } });
    await assert.rejects(loadDevcontainerConfig(missing, { env: pksEnv }), (error) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_FEATURE_NOT_FOUND');
      assert.match(error.message, new RegExp(`${run}-absent: the manifest "1" not found`));
      return true;
    });
    const unreachable = project({ image: 'x', features: { '127.0.0.1:9/nothing/here:1': {} } });
    await assert.rejects(loadDevcontainerConfig(unreachable, { env: pksEnv }), { code: 'E_REGISTRY_UNREACHABLE' });
  });
});

describe('pulling an image the engine does not have', () => {
  const repo = `pks-test-pull/${run}`;
  const image = `${registry}/${repo}:latest`;
  let manifestDigest = '';

  before(async () => {
    // pks-test/busybox plus one layer of our own, assembled inside the registry: the
    // busybox blobs are mounted, the new layer uploaded, so the engine has to download it.
    const accept = 'application/vnd.docker.distribution.manifest.v2+json';
    const source = await fetch(`http://${registry}/v2/pks-test/busybox/manifests/latest`, { headers: { accept } });
    assert.equal(source.status, 200);
    const manifest = (await source.json()) as { config: { digest: string; mediaType: string }; layers: Array<{ digest: string; size: number; mediaType: string }> };
    for (const layer of manifest.layers) {
      const mount = await fetch(`http://${registry}/v2/${repo}/blobs/uploads/?mount=${layer.digest}&from=pks-test/busybox`, { method: 'POST' });
      assert.equal(mount.status, 201, await mount.text());
    }
    const config = (await (await fetch(`http://${registry}/v2/pks-test/busybox/blobs/${manifest.config.digest}`)).json()) as Record<string, unknown> & { rootfs: { diff_ids: string[] } };
    const layerTar = await tarOf({ [`pull-test-${run}.txt`]: randomBytes(64 * 1024).toString('hex') });
    const layerGz = gzipSync(layerTar);
    const layerDigest = await pushBlob(repo, layerGz);
    config.rootfs.diff_ids.push(sha256(layerTar));
    delete config['history'];
    const configBlob = Buffer.from(JSON.stringify(config));
    const configDigest = await pushBlob(repo, configBlob);
    const body = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: accept,
        config: { mediaType: manifest.config.mediaType, digest: configDigest, size: configBlob.length },
        layers: [...manifest.layers, { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: layerDigest, size: layerGz.length }],
      }),
    );
    const put = await fetch(`http://${registry}/v2/${repo}/manifests/latest`, { method: 'PUT', body, headers: { 'content-type': accept } });
    assert.equal(put.status, 201, await put.text());
    manifestDigest = sha256(body);
  });
  after(async () => unpublish(repo, manifestDigest));

  it('pulls it on the local engine with per-layer progress, as part of preparing the image', async () => {
    const engine = await openLocalEngine({ DOCKER_HOST: `unix://${env.localSocket}` });
    try {
      assert.equal(await inspectImage(engine, image), undefined, 'the image is new to the engine');
      const events: PrepareProgressEvent[] = [];
      const prepared = await prepareImage(engine, await loadDevcontainerConfig(project({ image }), { env: pksEnv }), { env: pksEnv, onProgress: (e) => events.push(e) });
      assert.equal(prepared.imageName, image);
      assert.equal(prepared.built, false);
      assert.deepEqual(events.filter((e) => e.type === 'phase-start').map((e) => e.phase), ['pull']);
      const layers = events.flatMap((e) => (e.type === 'layer-progress' ? [e] : []));
      assert.ok(layers.length > 0, 'layer progress events');
      assert.ok(layers.every((e) => e.image === image && e.layer.length > 0));
      const statuses = layers.map((e) => `${e.layer}: ${e.status}`);
      assert.ok(layers.some((e) => e.status === 'Pull complete'), statuses.join(', '));
      assert.ok(layers.some((e) => e.status === 'Already exists'), statuses.join(', '));
      assert.ok(layers.some((e) => e.status === 'Downloading' && e.total !== undefined && e.current !== undefined), statuses.join(', '));
      assert.ok((await inspectImage(engine, image)) !== undefined);
    } finally {
      await engine.requestEmpty({ method: 'DELETE', path: `/images/${image}` }).catch(() => undefined);
      await engine.close();
    }
  });

  it('explains a failed pull on a remote engine, which cannot reach this machine\'s loopback registry', async () => {
    const engine = await openSshEngine({ host: env.r1.host, port: env.r1.port, username: env.r1.user, privateKeyPath: env.r1.key, knownHostsFiles: [env.knownHosts], socketPath: env.r1.dockerSocket });
    try {
      await assert.rejects(pullImage(engine, image, { env: pksEnv }), (error) => {
        assert.ok(isPksError(error));
        assert.equal(error.code, 'E_IMAGE_PULL');
        assert.match(error.message, new RegExp(`The image ${image.replace(/[.]/g, '\\.')} could not be pulled on the ssh://`));
        return true;
      });
    } finally {
      await engine.close();
    }
  });
});
