// Features given by the URL of a tarball, against an HTTP server on 127.0.0.1
// started here that serves tarballs built here: the download, its cache and
// conditional re-download, the offline fallbacks of validate and config, and
// the archives that are refused.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli } from '../../src/cli/program.js';
import { isPksError } from '../../src/common/errors.js';
import { tarStream, type TarEntry } from '../../src/common/tar/tar-writer.js';
import { parseFeatureRef } from '../../src/devcontainer/feature-ref.js';
import { resolveFeatures } from '../../src/devcontainer/feature-resolve.js';
import { ociFeatureFetcher } from '../../src/devcontainer/oci/feature-fetcher.js';
import { memoryIo } from '../helpers/memory-io.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'pks-tarball-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function tgz(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of tarStream(entries) as Readable) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

const feature = (id: string, extra: TarEntry[] = []): Promise<Buffer> =>
  tgz([
    { type: 'file', name: './devcontainer-feature.json', mode: 0o644, content: Buffer.from(JSON.stringify({ id, version: '1.2.3', options: { greeting: { type: 'string', default: 'hi' } } })) },
    { type: 'file', name: './install.sh', mode: 0o755, content: Buffer.from('#!/bin/sh\necho "$GREETING" > /tmp/greeting\n') },
    ...extra,
  ]);

/** Serves `files` by path; counts requests and answers If-None-Match with 304. */
class TarballServer {
  files = new Map<string, Buffer>();
  requests: Array<{ path: string; ifNoneMatch: string | undefined }> = [];
  private server: Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = createServer((req: IncomingMessage, res) => {
      const url = req.url ?? '';
      const ifNoneMatch = req.headers['if-none-match'];
      this.requests.push({ path: url, ifNoneMatch });
      if (url === '/redirect-to-file') {
        res.writeHead(302, { location: 'file:///etc/passwd' }).end();
        return;
      }
      const body = this.files.get(url);
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
      if (ifNoneMatch === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/gzip', etag }).end(body);
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(file: string): string {
    return `http://127.0.0.1:${this.port}${file}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
    this.server = undefined;
  }
}

const server = new TarballServer();
before(() => server.start());
after(() => server.stop());

function project(name: string): { projectPath: string; configDir: string } {
  const projectPath = path.join(tmp, name);
  const configDir = path.join(projectPath, '.devcontainer');
  mkdirSync(configDir, { recursive: true });
  return { projectPath, configDir };
}

describe('Feature tarball URLs: references', () => {
  it('http and https URLs are tarball Features; a URL with credentials is refused without printing them', () => {
    assert.deepEqual(parseFeatureRef('https://example.com/f/devcontainer-feature-x.tgz', '/p/.devcontainer', '/p'), {
      kind: 'tarball',
      userId: 'https://example.com/f/devcontainer-feature-x.tgz',
      url: 'https://example.com/f/devcontainer-feature-x.tgz',
    });
    assert.equal(parseFeatureRef('http://127.0.0.1:8080/x.tgz', '/p/.devcontainer', '/p').kind, 'tarball');
    assert.throws(
      () => parseFeatureRef('https://me:s3cret@example.com/x.tgz', '/p/.devcontainer', '/p'),
      (error: unknown) => isPksError(error) && error.code === 'E_FEATURE_REF' && !error.message.includes('s3cret') && /credentials|password/.test(error.message),
    );
  });
});

describe('Feature tarball URLs: download and cache', () => {
  it('downloads, extracts into the cache by digest, reads its metadata and options, and downloads again only when it changed', async () => {
    const body = await feature('greeter');
    server.files.set('/greeter.tgz', body);
    const url = server.url('/greeter.tgz');
    const cacheDir = path.join(tmp, 'cache-a', 'features');
    const { projectPath, configDir } = project('download');
    const resolve = () =>
      resolveFeatures({ features: { [url]: { greeting: 'hello' } }, configDir, projectPath, fetcher: ociFeatureFetcher({ env: { HOME: tmp }, cacheDir }) });

    const first = await resolve();
    assert.deepEqual(first.warnings, [], 'loopback over http is not warned about');
    const [resolved] = first.features;
    assert.equal(resolved?.metadata.id, 'greeter');
    assert.deepEqual(resolved?.options, { greeting: 'hello' });
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    assert.equal(resolved?.manifestDigest, digest);
    assert.equal(resolved?.downloadedFolder, path.join(cacheDir, digest.replace(':', '-')));
    assert.ok(lstatSync(path.join(resolved?.downloadedFolder ?? '', 'install.sh')).isFile());

    const before = server.requests.length;
    const second = await resolve();
    assert.equal(second.features[0]?.downloadedFolder, resolved?.downloadedFolder);
    const asked = server.requests.slice(before);
    assert.equal(asked.length, 1);
    assert.ok(asked[0]?.ifNoneMatch !== undefined, 'the second download is conditional (and answered 304)');

    // The tarball changes on the server: the new contents are used.
    const changed = await feature('greeter2');
    server.files.set('/greeter.tgz', changed);
    const third = await resolve();
    assert.equal(third.features[0]?.metadata.id, 'greeter2');
    assert.equal(third.features[0]?.manifestDigest, `sha256:${createHash('sha256').update(changed).digest('hex')}`);
  });

  it('warns about plain http to another machine', async () => {
    const { projectPath, configDir } = project('insecure');
    const fetcher = {
      ...ociFeatureFetcher({ env: { HOME: tmp }, cacheDir: path.join(tmp, 'cache-i', 'features') }),
      tarball: async () => {
        const folder = path.join(tmp, 'insecure-feature');
        mkdirSync(folder, { recursive: true });
        writeFileSync(path.join(folder, 'devcontainer-feature.json'), '{"id": "x", "version": "1.0.0"}');
        return { digest: `sha256:${'a'.repeat(64)}`, folder };
      },
    };
    const { warnings } = await resolveFeatures({ features: { 'http://features.example/x.tgz': {} }, configDir, projectPath, fetcher });
    assert.deepEqual(warnings.map((w) => w.code), ['W_FEATURE_INSECURE']);
  });

  it('refuses what is not a safe Feature: 404, a symlink out, an install.sh that is a symlink, a redirect to file:', async () => {
    const { projectPath, configDir } = project('refused');
    const fetcher = ociFeatureFetcher({ env: { HOME: tmp }, cacheDir: path.join(tmp, 'cache-r', 'features') });
    const resolveOne = (file: string) => resolveFeatures({ features: { [server.url(file)]: {} }, configDir, projectPath, fetcher });
    const code = (expected: string) => (error: unknown) => {
      assert.ok(isPksError(error), String(error));
      assert.equal(error.code, expected, error.message);
      return true;
    };
    await assert.rejects(resolveOne('/missing.tgz'), code('E_FEATURE_NOT_FOUND'));
    server.files.set('/escape.tgz', await feature('escape', [{ type: 'symlink', name: 'out', linkname: '../../../../etc' }]));
    await assert.rejects(resolveOne('/escape.tgz'), code('E_ARCHIVE_UNSAFE'));
    server.files.set(
      '/linked.tgz',
      await tgz([
        { type: 'file', name: 'devcontainer-feature.json', mode: 0o644, content: Buffer.from('{"id": "linked"}') },
        { type: 'file', name: 'real.sh', mode: 0o755, content: Buffer.from('#!/bin/sh\n') },
        { type: 'symlink', name: 'install.sh', linkname: 'real.sh' },
      ]),
    );
    await assert.rejects(resolveOne('/linked.tgz'), code('E_FEATURE_INVALID'));
    await assert.rejects(resolveOne('/redirect-to-file'), code('E_FEATURE_DOWNLOAD'));
    assert.equal(existsSync(path.join(tmp, 'cache-r', 'features', 'escape')), false);
  });
});

describe('Feature tarball URLs: unreachable for spawn', () => {
  it('a Feature never downloaded whose server cannot be reached stops the resolution with E_REGISTRY_UNREACHABLE', async () => {
    const gone = new TarballServer();
    await gone.start();
    const url = gone.url('/gone.tgz');
    await gone.stop();
    const { projectPath, configDir } = project('unreachable');
    await assert.rejects(
      resolveFeatures({ features: { [url]: {} }, configDir, projectPath, fetcher: ociFeatureFetcher({ env: { HOME: tmp }, cacheDir: path.join(tmp, 'cache-u', 'features') }) }),
      (error: unknown) => isPksError(error) && error.code === 'E_REGISTRY_UNREACHABLE' && /Cannot reach 127\.0\.0\.1:\d+ for the Feature/.test(error.message),
    );
  });
});

describe('Feature tarball URLs: offline', () => {
  async function pks(argv: string[], cwd: string, env: NodeJS.ProcessEnv) {
    const io = memoryIo(env, cwd);
    const code = await runCli(argv, io);
    return { code, stdout: io.stdout.text, stderr: io.stderr.text };
  }

  it('validate and config: a server that cannot be reached is a warning (the hash unknown); once downloaded, the cache is used with a warning', async () => {
    const offline = new TarballServer();
    await offline.start();
    offline.files.set('/tool.tgz', await feature('tool'));
    const url = offline.url('/tool.tgz');
    const dir = path.join(tmp, 'offline');
    mkdirSync(path.join(dir, '.devcontainer'), { recursive: true });
    writeFileSync(path.join(dir, '.devcontainer', 'devcontainer.json'), JSON.stringify({ image: 'x', features: { [url]: {} } }));
    const env = { HOME: path.join(tmp, 'offline-home'), PKS_HOME: path.join(tmp, 'offline-pks') };

    const online = await pks(['dc', 'config', '.', '--format', 'json'], dir, env);
    assert.equal(online.code, 0, online.stderr);
    const doc = JSON.parse(online.stdout) as { configHash: string | null; features: Array<{ id: string; kind: string; digest?: string }> };
    assert.equal(typeof doc.configHash, 'string');
    assert.deepEqual(doc.features.map((f) => [f.id, f.kind]), [[url, 'tarball']]);
    await offline.stop();

    const cached = await pks(['dc', 'validate', '.', '--format', 'json'], dir, env);
    assert.equal(cached.code, 0, cached.stderr);
    assert.deepEqual((JSON.parse(cached.stdout) as { warnings: Array<{ code: string }> }).warnings.map((w) => w.code), ['W_FEATURE_CACHED']);
    const cachedConfig = JSON.parse((await pks(['dc', 'config', '.', '--format', 'json'], dir, env)).stdout) as { configHash: string | null };
    assert.equal(cachedConfig.configHash, doc.configHash, 'the same contents, the same hash');

    const fresh = { HOME: path.join(tmp, 'offline-home2'), PKS_HOME: path.join(tmp, 'offline-pks2') };
    const unchecked = await pks(['dc', 'validate', '.', '--format', 'json'], dir, fresh);
    assert.equal(unchecked.code, 0, unchecked.stderr);
    const warnings = (JSON.parse(unchecked.stdout) as { warnings: Array<{ code: string; message: string }> }).warnings;
    assert.deepEqual(warnings.map((w) => w.code), ['W_FEATURE_UNCHECKED']);
    assert.match(warnings[0]?.message ?? '', /was not checked: Cannot reach 127\.0\.0\.1:\d+/);
    const config = JSON.parse((await pks(['dc', 'config', '.', '--format', 'json'], dir, fresh)).stdout) as { configHash: string | null };
    assert.equal(config.configHash, null);
    assert.ok(!readFileSync(path.join(dir, '.devcontainer', 'devcontainer.json'), 'utf8').includes('cache'), 'the project is not touched');
  });
});
