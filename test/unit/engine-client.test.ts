// The HTTP engine client against a fake engine on a unix socket: version
// prefixing, JSON and error bodies, streamed bodies both ways, hijacking.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { HttpEngineClient } from '../../src/engine/engine-client.js';
import { demultiplex, isEngineApiError, openLocalEngine, parseDockerHost, type EngineClient } from '../../src/engine/index.js';
import { createLocalTransport } from '../../src/engine/local-transport.js';
import { waitFor } from '../helpers/wait.js';

function frame(type: number, payload: Buffer | string): Buffer {
  const data = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

interface FakeEngine {
  server: Server;
  socketPath: string;
  paths: string[];
  apiVersion: string;
}

async function startFakeEngine(dir: string, name: string, apiVersion: string): Promise<FakeEngine> {
  const socketPath = path.join(dir, `${name}.sock`);
  const engine: FakeEngine = { server: createServer(), socketPath, paths: [], apiVersion };
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };
  engine.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    engine.paths.push(`${req.method} ${url.pathname}`);
    const route = url.pathname.replace(/^\/v\d+\.\d+/, '');
    // As Docker does: a path versioned above the engine's API is refused before anything happens.
    const asked = /^\/v(\d+)\.(\d+)\//.exec(url.pathname);
    const [major = 0, minor = 0] = engine.apiVersion.split('.').map(Number);
    if (asked !== null && (Number(asked[1]) > major || (Number(asked[1]) === major && Number(asked[2]) > minor))) {
      json(res, 400, { message: `client version ${asked[1]}.${asked[2]} is too new. Maximum supported API version is ${engine.apiVersion}` });
      return;
    }
    if (url.pathname === '/_ping') {
      res.writeHead(200, { 'API-Version': engine.apiVersion, OSType: 'linux' }).end('OK');
    } else if (url.pathname === '/version') {
      json(res, 200, { Version: '99.0', ApiVersion: engine.apiVersion, MinAPIVersion: '1.12', Os: 'linux', Arch: 'amd64', Extra: { x: 1 } });
    } else if (route === '/containers/json') {
      const filters: unknown = JSON.parse(url.searchParams.get('filters') ?? '{}');
      json(res, 200, [
        { Id: 'abc', Names: ['/one'], Image: 'img', State: 'running', Status: 'Up', Created: 1, Labels: null, echo: { all: url.searchParams.get('all'), filters } },
      ]);
    } else if (route === '/info') {
      json(res, 200, { NCPU: 'not a number' });
    } else if (route === '/containers/missing/json') {
      json(res, 404, { message: 'No such container: missing' });
    } else if (route === '/containers/x/archive' && req.method === 'PUT') {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => json(res, 200, { bytes, type: req.headers['content-type'], chunked: req.headers['transfer-encoding'] ?? 'no', length: req.headers['content-length'] ?? 'none' }));
    } else if (route === '/containers/x/logs') {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      res.write(frame(1, 'out1\n'));
      setTimeout(() => res.end(Buffer.concat([frame(2, 'err1\n'), frame(1, 'out2\n')])), 20);
    } else {
      json(res, 500, { message: `unexpected ${req.method} ${url.pathname}` });
    }
  });
  engine.server.on('upgrade', (req, socket, head) => {
    engine.paths.push(`UPGRADE ${req.method} ${req.url} ${req.headers['upgrade']}`);
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    // Echo stdin back as stdout frames; say goodbye on stderr when it ends.
    if (head.length > 0) socket.write(frame(1, head));
    socket.on('data', (chunk: Buffer) => socket.write(frame(1, chunk)));
    socket.on('end', () => socket.end(frame(2, 'bye')));
  });
  await new Promise<void>((resolve) => engine.server.listen(socketPath, resolve));
  return engine;
}

/** Two streams that keep what is written to them, for demultiplex(). */
function collectingStreams(): { stdout: PassThrough; stderr: PassThrough; out: string[]; err: string[] } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  return { stdout, stderr, out, err };
}

describe('engine client over a fake engine', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pks-fake-engine-'));
  let engine: FakeEngine;
  let old: FakeEngine;
  let client: EngineClient;

  before(async () => {
    engine = await startFakeEngine(dir, 'engine', '1.41');
    old = await startFakeEngine(dir, 'old', '1.37');
    client = await openLocalEngine({ DOCKER_HOST: `unix://${engine.socketPath}` });
  });
  after(async () => {
    await client.close();
    engine.server.close();
    old.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('negotiates once, even for concurrent first calls, and prefixes every path', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => client.listContainers()));
    assert.equal(results.length, 10);
    // An engine not newer than pks's API version is negotiated with one _ping.
    assert.equal(engine.paths.filter((p) => p === 'GET /_ping').length, 1);
    assert.equal(engine.paths.filter((p) => p === 'GET /version').length, 0);
    assert.equal(engine.paths.filter((p) => p === 'GET /v1.41/containers/json').length, 10);
    assert.equal(await client.apiVersion(), '1.41');
    assert.equal((await client.version()).Version, '99.0');
    assert.match(client.target, /^local engine \(unix:\/\/.*engine\.sock\)$/);
  });

  it('uses an API version remembered from an earlier session without a _ping', async () => {
    const before = engine.paths.length;
    const remembered = new HttpEngineClient(createLocalTransport(parseDockerHost({ DOCKER_HOST: `unix://${engine.socketPath}` })), { knownApiVersion: '1.40' });
    try {
      await remembered.listContainers();
      assert.deepEqual(engine.paths.slice(before), ['GET /v1.40/containers/json']);
    } finally {
      await remembered.close();
    }
  });

  it('negotiates afresh, once, when the engine refuses the remembered version, and ignores one pks does not speak', async () => {
    const client = (socketPath: string, knownApiVersion: string) => new HttpEngineClient(createLocalTransport(parseDockerHost({ DOCKER_HOST: `unix://${socketPath}` })), { knownApiVersion });
    // The engine was downgraded since: 1.41 is refused, _ping says 1.39, the call is made again with it.
    const downgraded = await startFakeEngine(dir, 'downgraded', '1.39');
    const first = client(downgraded.socketPath, '1.41');
    try {
      assert.equal((await first.listContainers()).length, 1);
      assert.equal((await first.listContainers()).length, 1);
      assert.deepEqual(downgraded.paths, ['GET /v1.41/containers/json', 'GET /_ping', 'GET /v1.39/containers/json', 'GET /v1.39/containers/json']);
      // A streamed body cannot be sent twice: that refusal is the caller's error.
      const streamed = client(downgraded.socketPath, '1.41');
      try {
        await assert.rejects(
          streamed.request({ method: 'PUT', path: '/containers/x/archive', bodyStream: Readable.from([Buffer.from('tar')]) }, z.unknown()),
          (error: unknown) => isEngineApiError(error, 400),
        );
      } finally {
        await streamed.close();
      }
    } finally {
      await first.close();
      downgraded.server.close();
    }
    // A version outside what pks speaks is not used at all.
    const unknown = client(engine.socketPath, '9.99');
    const mark = engine.paths.length;
    try {
      await unknown.listContainers();
      assert.deepEqual(engine.paths.slice(mark), ['GET /_ping', 'GET /v1.41/containers/json']);
    } finally {
      await unknown.close();
    }
  });

  it('pings unversioned and reads the API version header', async () => {
    assert.deepEqual(await client.ping(), { apiVersion: '1.41', osType: 'linux' });
    assert.ok(engine.paths.includes('GET /_ping'));
  });

  it('sends filters as JSON and parses container summaries loosely', async () => {
    const [container] = await client.listContainers({ all: true, filters: { label: ['pks.managed=true'] } });
    assert.ok(container);
    assert.deepEqual(container.Labels, {});
    assert.deepEqual(container.Names, ['/one']);
    assert.deepEqual(container['echo'], { all: '1', filters: { label: ['pks.managed=true'] } });
  });

  it('turns an error body into a typed error with the status', async () => {
    await assert.rejects(client.request({ path: '/containers/missing/json' }, z.unknown()), (error: unknown) => {
      assert.ok(isEngineApiError(error, 404));
      assert.equal(error.code, 'E_ENGINE_NOT_FOUND');
      assert.equal(error.engineMessage, 'No such container: missing');
      assert.match(error.message, /No such container: missing/);
      return true;
    });
  });

  it('refuses a response that does not match the schema', async () => {
    await assert.rejects(client.info(), { code: 'E_ENGINE_PROTOCOL' });
  });

  it('streams a request body, chunked or with the length given', async () => {
    const body = () =>
      Readable.from(
        (function* () {
          for (let i = 0; i < 64; i++) yield Buffer.alloc(16 * 1024, i);
        })(),
      );
    const shape = z.object({ bytes: z.number(), type: z.string(), chunked: z.string(), length: z.string() });
    const chunked = await client.request({ method: 'PUT', path: '/containers/x/archive', query: { path: '/workspaces' }, bodyStream: body() }, shape);
    assert.deepEqual(chunked, { bytes: 64 * 16 * 1024, type: 'application/x-tar', chunked: 'chunked', length: 'none' });
    const sized = await client.request({ method: 'PUT', path: '/containers/x/archive', query: { path: '/workspaces' }, bodyStream: body(), bodyLength: 64 * 16 * 1024 }, shape);
    assert.deepEqual(sized, { bytes: 64 * 16 * 1024, type: 'application/x-tar', chunked: 'no', length: String(64 * 16 * 1024) });
  });

  it('streams a response body and demultiplexes it', async () => {
    const response = await client.stream({ path: '/containers/x/logs', query: { stdout: 1, stderr: 1 } });
    const { stdout, stderr, out, err } = collectingStreams();
    await demultiplex(response.body, stdout, stderr);
    assert.equal(out.join(''), 'out1\nout2\n');
    assert.equal(err.join(''), 'err1\n');
  });

  it('hijacks the connection for exec-style bidirectional streams', async () => {
    const { socket, statusCode } = await client.hijack({ method: 'POST', path: '/exec/e1/start', body: { Detach: false, Tty: false } });
    assert.equal(statusCode, 101);
    const { stdout, stderr, out, err } = collectingStreams();
    const done = demultiplex(socket, stdout, stderr);
    socket.write('ping');
    // The echo comes back while the stream is still open in both directions.
    await waitFor(() => out.join('').includes('ping'), { timeoutMs: 5_000, intervalMs: 5, message: `no echo of ping: ${JSON.stringify(out)}` });
    socket.end();
    await done;
    assert.equal(err.join(''), 'bye');
    assert.ok(engine.paths.some((p) => p.startsWith('UPGRADE POST /v1.41/exec/e1/start tcp')));
  });

  it('asks a newer engine for its oldest accepted version, then speaks pks\'s', async () => {
    const newer = await startFakeEngine(dir, 'newer', '1.52');
    const newClient = await openLocalEngine({ DOCKER_HOST: `unix://${newer.socketPath}` });
    try {
      assert.equal(await newClient.apiVersion(), '1.43');
      assert.deepEqual(newer.paths, ['GET /_ping', 'GET /version']);
    } finally {
      await newClient.close();
      newer.server.close();
    }
  });

  it('refuses an engine older than API 1.38 on first use', async () => {
    const oldClient = await openLocalEngine({ DOCKER_HOST: `unix://${old.socketPath}` });
    try {
      await assert.rejects(oldClient.listContainers(), (error: unknown) => {
        assert.ok(error instanceof Error && 'code' in error);
        assert.equal(error.code, 'E_ENGINE_TOO_OLD');
        assert.match(error.message, /1\.37.*1\.38/);
        return true;
      });
      // Nothing but the negotiation reached the engine.
      assert.deepEqual(old.paths, ['GET /_ping']);
    } finally {
      await oldClient.close();
    }
  });

  it('is unusable after close', async () => {
    const other = await openLocalEngine({ DOCKER_HOST: `unix://${engine.socketPath}` });
    await other.ping();
    await other.close();
    await other.close();
    await assert.rejects(other.ping(), { code: 'E_ENGINE_CLOSED' });
  });
});
