// Each typed engine operation as the request it sends: method, route, query
// parameters, and which non-2xx statuses it takes as an answer. Retrying
// follows the method (reads and removals only), so the methods here are the
// retry policy too.
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import * as z from '../../src/common/zod-mini.js';
import { EngineOperationsOverHttp } from '../../src/engine/engine-operations.js';
import type { EngineRequest, EngineResponse, HijackedConnection } from '../../src/engine/index.js';
import type * as core from 'zod/v4/core';

/** Records what each operation asks and answers with `answer` (parsed with the operation's own schema) or `status`. */
class RecordingEngine extends EngineOperationsOverHttp {
  readonly sent: EngineRequest[] = [];
  answer: unknown = {};
  status = 204;

  async request<S extends core.$ZodType>(request: EngineRequest, schema: S): Promise<core.output<S>> {
    this.sent.push(request);
    return z.parse(schema, this.answer);
  }

  async requestEmpty(request: EngineRequest): Promise<number> {
    this.sent.push(request);
    return this.status;
  }

  async stream(request: EngineRequest): Promise<EngineResponse> {
    this.sent.push(request);
    return { statusCode: 200, headers: {}, body: Readable.from([]) as unknown as EngineResponse['body'] };
  }

  async hijack(request: EngineRequest): Promise<HijackedConnection> {
    this.sent.push(request);
    return { statusCode: 101, headers: {}, socket: new PassThrough() };
  }

  /** The last request without its streamed body. */
  last(): Omit<EngineRequest, 'bodyStream'> {
    const { bodyStream: _body, ...rest } = this.sent[this.sent.length - 1] ?? { path: '' };
    return rest;
  }
}

const ID = 'c0ffee'.repeat(10);
const inspect = { Id: ID, Name: '/n', Created: '2024-01-01T00:00:00Z', Image: 'i', State: { Status: 'running', Running: true }, Config: {} };

describe('engine operations as requests', () => {
  it('containers: create, inspect, start, stop, restart, remove, wait', async () => {
    const engine = new RecordingEngine();
    engine.answer = { Id: ID };
    assert.equal(await engine.createContainer('pks-a b', { Image: 'img' }), ID);
    assert.deepEqual(engine.last(), { method: 'POST', path: '/containers/create', query: { name: 'pks-a b' }, body: { Image: 'img' } });
    engine.answer = inspect;
    assert.equal((await engine.inspectContainer('my/name')).Id, ID);
    assert.deepEqual(engine.last(), { path: '/containers/my%2Fname/json' });

    engine.status = 304;
    assert.equal(await engine.startContainer(ID), 'already-running');
    assert.deepEqual(engine.last(), { method: 'POST', path: `/containers/${ID}/start`, okStatuses: [304] });
    assert.equal(await engine.stopContainer(ID, { timeoutSeconds: 5 }), 'already-stopped');
    assert.deepEqual(engine.last(), { method: 'POST', path: `/containers/${ID}/stop`, query: { t: 5 }, okStatuses: [304] });
    engine.status = 204;
    assert.equal(await engine.startContainer(ID), 'started');
    assert.equal(await engine.stopContainer(ID), 'stopped');
    assert.deepEqual(engine.last().query, { t: undefined });
    await engine.restartContainer(ID, { timeoutSeconds: 1 });
    assert.deepEqual(engine.last(), { method: 'POST', path: `/containers/${ID}/restart`, query: { t: 1 } });

    await engine.removeContainer(ID);
    assert.deepEqual(engine.last(), { method: 'DELETE', path: `/containers/${ID}`, query: { force: undefined } });
    await engine.removeContainer(ID, { force: true, missingOk: true });
    assert.deepEqual(engine.last(), { method: 'DELETE', path: `/containers/${ID}`, query: { force: 1 }, okStatuses: [404] });
    await engine.removeContainer(ID, { anonymousVolumes: true });
    assert.deepEqual(engine.last(), { method: 'DELETE', path: `/containers/${ID}`, query: { force: undefined, v: 1 } });

    engine.answer = { StatusCode: 3 };
    assert.equal(await engine.waitContainer(ID), 3);
    assert.deepEqual(engine.last(), { method: 'POST', path: `/containers/${ID}/wait` });
  });

  it('logs and archives', async () => {
    const engine = new RecordingEngine();
    await engine.containerLogs(ID);
    assert.deepEqual(engine.last(), { path: `/containers/${ID}/logs`, query: { stdout: 1, stderr: 1, follow: undefined, tail: 'all', timestamps: undefined, since: undefined } });
    await engine.containerLogs(ID, { follow: true, tail: 5, timestamps: true, since: 1.5 });
    assert.deepEqual(engine.last().query, { stdout: 1, stderr: 1, follow: 1, tail: 5, timestamps: 1, since: '1.500' });

    await engine.getArchive(ID, '/etc/passwd');
    assert.deepEqual(engine.last(), { path: `/containers/${ID}/archive`, query: { path: '/etc/passwd' } });
    const body = Readable.from([]);
    await engine.putArchive(ID, { path: '/workspaces', body });
    assert.equal(engine.sent[engine.sent.length - 1]?.bodyStream, body);
    assert.deepEqual(engine.last(), { method: 'PUT', path: `/containers/${ID}/archive`, query: { path: '/workspaces', noOverwriteDirNonDir: undefined }, contentType: 'application/x-tar' });
    const signal = new AbortController().signal;
    await engine.putArchive(ID, { path: '/w', body, gzip: true, noOverwriteDirNonDir: true, signal });
    assert.deepEqual(engine.last(), { method: 'PUT', path: `/containers/${ID}/archive`, query: { path: '/w', noOverwriteDirNonDir: true }, contentType: 'application/gzip', signal });
    await engine.putArchive(ID, { path: '/w', body, bodyLength: 1024 });
    assert.equal(engine.last().bodyLength, 1024);
  });

  it('execs: create, start attached, inspect, resize', async () => {
    const engine = new RecordingEngine();
    engine.answer = { Id: 'e1' };
    assert.equal(await engine.createExec(ID, { cmd: ['sh', '-c', 'true'], attachStdin: false, tty: true, user: 'dev', workdir: '/w', env: ['A=1'], consoleSize: { rows: 24, cols: 80 } }), 'e1');
    assert.deepEqual(engine.last(), {
      method: 'POST',
      path: `/containers/${ID}/exec`,
      body: { Cmd: ['sh', '-c', 'true'], AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: true, User: 'dev', WorkingDir: '/w', Env: ['A=1'], ConsoleSize: [24, 80] },
    });
    await engine.createExec(ID, { cmd: ['true'], attachStdin: true, tty: false });
    assert.deepEqual(engine.last().body, { Cmd: ['true'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
    await engine.startExec('e1', { tty: false });
    assert.deepEqual(engine.last(), { method: 'POST', path: '/exec/e1/start', body: { Detach: false, Tty: false } });
    // A TTY's size also goes with the start, where Podman takes it (h, w).
    await engine.startExec('e1', { tty: true, consoleSize: { rows: 24, cols: 80 } });
    assert.deepEqual(engine.last(), { method: 'POST', path: '/exec/e1/start', body: { Detach: false, Tty: true, h: 24, w: 80 } });
    await engine.startExec('e1', { tty: false, consoleSize: { rows: 24, cols: 80 } });
    assert.deepEqual(engine.last().body, { Detach: false, Tty: false });
    engine.answer = { ID: 'e1', Running: false, ExitCode: 0, ProcessConfig: { entrypoint: 'true' } };
    assert.equal((await engine.inspectExec('e1')).ExitCode, 0);
    assert.deepEqual(engine.last(), { path: '/exec/e1/json' });
    await engine.resizeExec('e1', { rows: 30, cols: 100 });
    assert.deepEqual(engine.last(), { method: 'POST', path: '/exec/e1/resize', query: { h: 30, w: 100 } });
  });

  it('volumes: create, inspect, list, remove', async () => {
    const engine = new RecordingEngine();
    engine.answer = { Name: 'v 1' };
    await engine.createVolume('v 1', { a: 'b' });
    assert.deepEqual(engine.last(), { method: 'POST', path: '/volumes/create', body: { Name: 'v 1', Labels: { a: 'b' } } });
    await engine.inspectVolume('v 1');
    assert.deepEqual(engine.last(), { path: '/volumes/v%201' });
    engine.answer = { Volumes: null };
    assert.deepEqual(await engine.listVolumes({ filters: { label: ['x=y'] } }), []);
    assert.deepEqual(engine.last(), { path: '/volumes', query: { filters: { label: ['x=y'] } } });
    await engine.removeVolume('v');
    assert.deepEqual(engine.last(), { method: 'DELETE', path: '/volumes/v' });
    await engine.removeVolume('v', { missingOk: true });
    assert.deepEqual(engine.last(), { method: 'DELETE', path: '/volumes/v', okStatuses: [404] });
  });

  it('images: inspect, pull, build, remove', async () => {
    const engine = new RecordingEngine();
    engine.answer = { Id: 'sha256:1' };
    await engine.inspectImage('127.0.0.1:5000/team/app:1');
    assert.deepEqual(engine.last(), { path: '/images/127.0.0.1%3A5000/team/app%3A1/json' });
    await engine.pullImage({ repository: 'team/app', tag: '1' });
    assert.deepEqual(engine.last(), { method: 'POST', path: '/images/create', query: { fromImage: 'team/app', tag: '1' }, headers: {} });
    await engine.pullImage({ repository: 'team/app', tag: '1' }, { registryAuth: 'e30=' });
    assert.deepEqual(engine.last().headers, { 'X-Registry-Auth': 'e30=' });
    await engine.buildImage(Readable.from([]), { dockerfile: 'D', tag: 't', buildArgs: {}, cacheFrom: [], labels: { l: 'v' }, noCache: true });
    assert.deepEqual(engine.last(), {
      method: 'POST',
      path: '/build',
      query: { dockerfile: 'D', t: 't', buildargs: undefined, target: undefined, cachefrom: undefined, labels: { l: 'v' }, rm: 1, forcerm: 1, nocache: 1 },
      contentType: 'application/x-tar',
    });
    await engine.removeImage('team/app:1', { force: true });
    assert.deepEqual(engine.last(), { method: 'DELETE', path: '/images/team/app%3A1', query: { force: 1 } });
  });
});
