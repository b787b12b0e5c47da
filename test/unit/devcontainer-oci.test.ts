// Published Features against an in-process fake registry: the bearer-token
// dance with credentials from ~/.docker/config.json, blob redirects, digest
// checks, the cache; and the docker config itself.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { parseOciFeatureRef } from '../../src/devcontainer/feature-ref.js';
import { parseImageName } from '../../src/image/image-pull.js';
import { ociFeatureFetcher } from '../../src/devcontainer/oci/feature-fetcher.js';
import { lookupRegistryCredentials, normaliseRegistryHost, registryAuthHeader } from '../../src/devcontainer/oci/registry-auth.js';
import { parseChallenge, registryBaseUrl } from '../../src/devcontainer/oci/registry-client.js';
import { tarStream } from '../../src/common/tar/tar-writer.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'pks-dc-oci-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const digestOf = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function featureLayer(files: Record<string, string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of tarStream(Object.entries(files).map(([name, text]) => ({ type: 'file' as const, name: `./${name}`, mode: 0o644, content: Buffer.from(text) })))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface FakeRegistry {
  port: number;
  requests: string[];
  corruptBlob: boolean;
}

/** A registry that wants a bearer token obtained with basic credentials alice:s3cret. */
async function startRegistry(layer: Buffer, manifest: Buffer): Promise<FakeRegistry & { close(): Promise<void> }> {
  const state: FakeRegistry = { port: 0, requests: [], corruptBlob: false };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    state.requests.push(`${req.method} ${url.pathname}${req.headers.authorization === undefined ? '' : ` [${req.headers.authorization.split(' ')[0]}]`}`);
    if (url.pathname === '/token') {
      const expected = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
      if (req.headers.authorization !== expected || url.searchParams.get('scope') !== 'repository:team/tool:pull' || url.searchParams.get('service') !== 'fake') {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'T0K3N' }));
      return;
    }
    if (url.pathname === '/cdn/layer') {
      // Blob storage behind a redirect must not see the registry's token.
      if (req.headers.authorization !== undefined) res.writeHead(400).end();
      else res.writeHead(200).end(state.corruptBlob ? Buffer.concat([layer, Buffer.from('x')]) : layer);
      return;
    }
    if (req.headers.authorization !== 'Bearer T0K3N') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${state.port}/token",service="fake",scope="repository:team/tool:pull"` }).end();
      return;
    }
    if (url.pathname === '/v2/team/tool/manifests/1') {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest);
    } else if (url.pathname === `/v2/team/tool/blobs/${digestOf(layer)}`) {
      res.writeHead(307, { location: `http://127.0.0.1:${state.port}/cdn/layer` }).end();
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  return Object.assign(state, { close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}

describe('fetching a published Feature', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let layer: Buffer;
  let manifest: Buffer;
  const home = path.join(tmp, 'home');

  before(async () => {
    layer = await featureLayer({ 'devcontainer-feature.json': '{"id": "tool", "version": "3.0.0"}', 'install.sh': '#!/bin/sh\n' });
    manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.devcontainers', digest: digestOf(Buffer.alloc(0)), size: 0 },
        layers: [{ mediaType: 'application/vnd.devcontainers.layer.v1+tar', digest: digestOf(layer), size: layer.length }],
      }),
    );
    registry = await startRegistry(layer, manifest);
    mkdirSync(path.join(home, '.docker'), { recursive: true });
    writeFileSync(
      path.join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { [`http://localhost:${registry.port}`]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }),
    );
  });
  after(() => registry.close());

  it('gets a token with the docker config credentials, the manifest, then the layer through a redirect', async () => {
    const fetcher = ociFeatureFetcher({ env: { HOME: home }, cacheDir: path.join(tmp, 'cache1') });
    const ref = parseOciFeatureRef(`localhost:${registry.port}/team/tool:1`);
    const published = await fetcher.resolve(ref);
    assert.equal(published.manifestDigest, digestOf(manifest));
    assert.equal(published.layerDigest, digestOf(layer));
    assert.equal(published.annotatedMetadata, undefined);
    const folder = await fetcher.folder(ref, published);
    assert.equal(readFileSync(path.join(folder, 'devcontainer-feature.json'), 'utf8'), '{"id": "tool", "version": "3.0.0"}');
    assert.deepEqual(registry.requests.slice(0, 4), ['GET /v2/team/tool/manifests/1', 'GET /token [Basic]', 'GET /v2/team/tool/manifests/1 [Bearer]', `GET /v2/team/tool/blobs/${digestOf(layer)} [Bearer]`]);
    assert.equal(registry.requests[4], 'GET /cdn/layer');
    // Cached by digest: no second download.
    const count = registry.requests.length;
    assert.equal(await fetcher.folder(ref, published), folder);
    assert.equal(registry.requests.length, count);
  });

  it('refuses a layer whose digest does not match, and leaves nothing in the cache', async () => {
    registry.corruptBlob = true;
    try {
      const cacheDir = path.join(tmp, 'cache2');
      const fetcher = ociFeatureFetcher({ env: { HOME: home }, cacheDir });
      const ref = parseOciFeatureRef(`localhost:${registry.port}/team/tool:1`);
      await assert.rejects(fetcher.folder(ref, await fetcher.resolve(ref)), (error) => {
        assert.ok(isPksError(error));
        assert.equal(error.code, 'E_FEATURE_DIGEST');
        return true;
      });
      assert.deepEqual(readdirSync(cacheDir), []);
    } finally {
      registry.corruptBlob = false;
    }
  });

  it('says what to do when the registry refuses us, and when a tag does not exist', async () => {
    const anonymous = ociFeatureFetcher({ env: { HOME: path.join(tmp, 'nobody') }, cacheDir: path.join(tmp, 'cache3') });
    await assert.rejects(anonymous.resolve(parseOciFeatureRef(`localhost:${registry.port}/team/tool:1`)), (error) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_REGISTRY_AUTH');
      assert.match(error.hint ?? '', /docker login localhost:\d+/);
      return true;
    });
    const fetcher = ociFeatureFetcher({ env: { HOME: home }, cacheDir: path.join(tmp, 'cache4') });
    await assert.rejects(fetcher.resolve(parseOciFeatureRef(`localhost:${registry.port}/team/tool:9`)), /E_FEATURE_NOT_FOUND|the manifest "9" not found/);
  });
});

describe('registry details', () => {
  it('reads plain auth entries, normalising registry keys', async () => {
    const home = path.join(tmp, 'auth-home');
    mkdirSync(path.join(home, '.docker'), { recursive: true });
    writeFileSync(
      path.join(home, '.docker', 'config.json'),
      JSON.stringify({
        auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw:with:colons').toString('base64') }, 'ghcr.io': {} },
        credHelpers: { 'ghcr.io': 'gh' },
      }),
    );
    assert.deepEqual(await lookupRegistryCredentials('docker.io', { HOME: home }), { credentials: { username: 'hub', password: 'pw:with:colons', serveraddress: 'docker.io' } });
    assert.deepEqual(await lookupRegistryCredentials('ghcr.io', { HOME: home }), { helper: 'gh' });
    assert.deepEqual(await lookupRegistryCredentials('quay.io', { HOME: home }), {});
    assert.deepEqual(await lookupRegistryCredentials('quay.io', { DOCKER_CONFIG: path.join(tmp, 'none'), HOME: home }), {});
    assert.equal(normaliseRegistryHost('HTTPS://Registry.Example:5000/v2/'), 'registry.example:5000');
    const header = registryAuthHeader({ username: 'u', password: '??>>', serveraddress: 'r' });
    assert.doesNotMatch(header, /[+/]/);
    assert.deepEqual(JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString()), { username: 'u', password: '??>>', serveraddress: 'r' });
  });

  it('speaks http only to loopback registries and parses challenges', () => {
    assert.equal(registryBaseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
    assert.equal(registryBaseUrl('localhost'), 'http://localhost');
    assert.equal(registryBaseUrl('ghcr.io'), 'https://ghcr.io');
    assert.deepEqual(parseChallenge('Bearer realm="https://a/token",service="reg",scope="repository:x:pull"'), {
      scheme: 'bearer',
      params: { realm: 'https://a/token', service: 'reg', scope: 'repository:x:pull' },
    });
  });

  it('splits image names into repository, tag or digest, and registry', () => {
    assert.deepEqual(parseImageName('debian:bookworm-slim'), { repository: 'debian', reference: 'bookworm-slim', registry: 'docker.io' });
    assert.deepEqual(parseImageName('127.0.0.1:5000/pks-test/busybox'), { repository: '127.0.0.1:5000/pks-test/busybox', reference: 'latest', registry: '127.0.0.1:5000' });
    const digest = `sha256:${'b'.repeat(64)}`;
    assert.deepEqual(parseImageName(`ghcr.io/o/i@${digest}`), { repository: 'ghcr.io/o/i', reference: digest, registry: 'ghcr.io' });
    assert.equal(parseImageName('team/app:1').registry, 'docker.io');
  });
});

describe('a registry that cannot be reached', () => {
  it('falls back to the resolution remembered from the last time, and says when it was', async () => {
    const layer = await featureLayer({ 'devcontainer-feature.json': '{"id": "tool", "version": "3.0.0"}', 'install.sh': '#!/bin/sh\n' });
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        config: { mediaType: 'application/vnd.devcontainers', digest: digestOf(Buffer.alloc(0)), size: 0 },
        layers: [{ mediaType: 'application/vnd.devcontainers.layer.v1+tar', digest: digestOf(layer), size: layer.length }],
        annotations: { 'dev.containers.metadata': '{"id": "tool", "version": "3.0.0"}' },
      }),
    );
    const registry = await startRegistry(layer, manifest);
    const home = path.join(tmp, 'offline-home');
    mkdirSync(path.join(home, '.docker'), { recursive: true });
    writeFileSync(path.join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [`localhost:${registry.port}`]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
    const cacheDir = path.join(tmp, 'offline', 'features');
    const ref = parseOciFeatureRef(`localhost:${registry.port}/team/tool:1`);
    const online = await ociFeatureFetcher({ env: { HOME: home }, cacheDir }).resolve(ref);
    assert.equal(online.cachedAt, undefined);
    await registry.close();

    const offline = await ociFeatureFetcher({ env: { HOME: home }, cacheDir }).resolve(ref);
    assert.equal(offline.manifestDigest, online.manifestDigest);
    assert.equal(offline.layerDigest, online.layerDigest);
    assert.deepEqual(offline.annotatedMetadata, { id: 'tool', version: '3.0.0' });
    assert.match(offline.cachedAt ?? '', /^\d{4}-\d\d-\d\dT/);
    // Another tag was never resolved: the registry's own error.
    await assert.rejects(ociFeatureFetcher({ env: { HOME: home }, cacheDir }).resolve(parseOciFeatureRef(`localhost:${registry.port}/team/tool:2`)), (error) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_REGISTRY_UNREACHABLE');
      return true;
    });
  });
});
