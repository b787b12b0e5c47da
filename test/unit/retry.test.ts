// The retry policy with fakes: which failures are retried, how often, with
// which waits, what is announced — and that nothing but idempotent engine
// calls is ever repeated (against a fake engine on a unix socket).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { OperationError } from '../../src/common/errors.js';
import { DEFAULT_RETRY_POLICY, retryCountdown, retryDelayMs, withRetry, type RetryNotice, type RetryPolicy } from '../../src/common/retry.js';
import { EngineApiError } from '../../src/engine/engine-errors.js';
import { isTransientEngineError } from '../../src/engine/http-client.js';
import { openLocalEngine, type EngineClient } from '../../src/engine/index.js';
import { isTransientConnectError, mapSshConnectError, tcpConnectTimeoutError } from '../../src/ssh/ssh-errors.js';

function sysError(code: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${code} happened`), { code, ...extra });
}

/** A policy that records its notices and waits instead of sleeping. */
function recordingPolicy(attempts = 3): { policy: RetryPolicy; notices: RetryNotice[]; waits: number[] } {
  const notices: RetryNotice[] = [];
  const waits: number[] = [];
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY_POLICY,
    attempts,
    onRetry: (notice) => notices.push(notice),
    sleep: async (ms) => {
      waits.push(ms);
    },
  };
  return { policy, notices, waits };
}

const connectionError = (code: string) =>
  new OperationError('E_ENGINE_CONNECTION', `The connection to the engine failed: ${code}.`, { cause: sysError(code) });
const apiError = (statusCode: number) =>
  new EngineApiError({ statusCode, engineMessage: 'busy', target: 'local engine', method: 'GET', path: '/containers/json' });

describe('retry policy', () => {
  it('waits 2 s then 4 s (exponential backoff) and says so', () => {
    assert.equal(retryDelayMs(DEFAULT_RETRY_POLICY, 2), 2000);
    assert.equal(retryDelayMs(DEFAULT_RETRY_POLICY, 3), 4000);
    assert.equal(retryDelayMs({ baseDelayMs: 500, factor: 3 }, 4), 4500);
    assert.equal(DEFAULT_RETRY_POLICY.attempts, 3);
    assert.equal(retryCountdown({ attempt: 2, attempts: 3, delayMs: 2000 }), 'retrying (2/3) in 2 s…');
    assert.equal(retryCountdown({ attempt: 3, attempts: 3, delayMs: 1500 }), 'retrying (3/3) in 1.5 s…');
  });

  it('tries a transient failure 3 times in all, announcing tries 2 and 3, then throws the last error', async () => {
    const { policy, notices, waits } = recordingPolicy();
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls += 1;
          throw connectionError('ECONNRESET');
        },
        { policy, isTransient: isTransientEngineError, operation: 'GET /containers/json', target: 'ssh://dev@h:22', reason: () => 'socket hang up' },
      ),
      /ECONNRESET/,
    );
    assert.equal(calls, 3);
    assert.deepEqual(waits, [2000, 4000]);
    assert.deepEqual(
      notices.map((n) => [n.attempt, n.attempts, n.delayMs, n.operation, n.target, n.reason]),
      [
        [2, 3, 2000, 'GET /containers/json', 'ssh://dev@h:22', 'socket hang up'],
        [3, 3, 4000, 'GET /containers/json', 'ssh://dev@h:22', 'socket hang up'],
      ],
    );
  });

  it('stops at the first success, and never retries a permanent failure', async () => {
    const { policy, waits } = recordingPolicy();
    let calls = 0;
    const value = await withRetry(
      async (attempt) => {
        calls += 1;
        if (attempt === 1) throw apiError(503);
        return 'ok';
      },
      { policy, isTransient: isTransientEngineError, operation: 'GET /_ping', target: 't', reason: String },
    );
    assert.equal(value, 'ok');
    assert.equal(calls, 2);
    assert.deepEqual(waits, [2000]);

    let permanent = 0;
    await assert.rejects(
      withRetry(
        async () => {
          permanent += 1;
          throw apiError(404);
        },
        { policy, isTransient: isTransientEngineError, operation: 'GET /x', target: 't', reason: String },
      ),
    );
    assert.equal(permanent, 1);
  });

  it('gives up at once when Ctrl-C aborts the wait', async () => {
    const controller = new AbortController();
    const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, sleep: async () => controller.abort() };
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls += 1;
          throw connectionError('ETIMEDOUT');
        },
        { policy, isTransient: () => true, operation: 'GET /x', target: 't', reason: String, signal: controller.signal },
      ),
    );
    assert.equal(calls, 1);
  });

  it('classifies engine failures: broken connections and 502/503 are transient', () => {
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'EPIPE']) assert.equal(isTransientEngineError(connectionError(code)), true, code);
    assert.equal(isTransientEngineError(new OperationError('E_SSH_DISCONNECTED', 'The SSH connection to x was lost')), true);
    assert.equal(isTransientEngineError(apiError(502)), true);
    assert.equal(isTransientEngineError(apiError(503)), true);
    for (const status of [400, 404, 409, 500]) assert.equal(isTransientEngineError(apiError(status)), false, String(status));
    assert.equal(isTransientEngineError(connectionError('ECONNREFUSED')), false, 'an engine that is not running');
    assert.equal(isTransientEngineError(new OperationError('E_ENGINE_UNREACHABLE', 'no socket')), false);
    assert.equal(isTransientEngineError(new OperationError('E_REMOTE_SOCKET', 'engine not running')), false);
    assert.equal(isTransientEngineError(new OperationError('E_ENGINE_TIMEOUT', 'no answer in 30 s')), false, 'pks’s own time limit');
    assert.equal(isTransientEngineError(new OperationError('E_SSH_UNREACHABLE', 'x')), false, 'the connection set-up retried already');
    assert.equal(isTransientEngineError(sysError('ECONNRESET')), false, 'only mapped errors');
  });

  it('classifies SSH set-up failures: a first connection retries only quick blips, a reconnection after a drop retries the host being away too', () => {
    const context = { login: 'dev@h:22', host: 'h', port: 22, credentials: 'key k' };
    const mapped = (error: Error) => mapSshConnectError(error, context);
    const handshakeTimeout = mapped(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }));
    const connectTimeout = mapped(tcpConnectTimeoutError(10_000));
    assert.match(connectTimeout.message, /^Cannot reach h port 22 over SSH: connection timed out/);
    for (const code of ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN']) {
      const error = mapped(sysError(code, { level: 'client-socket' }));
      assert.equal(isTransientConnectError(error, false), true, `${code}, first connection`);
      assert.equal(isTransientConnectError(error, true), true, `${code}, reconnecting`);
    }
    assert.equal(isTransientConnectError(mapped(new Error('connection closed during the handshake')), false), true);
    for (const code of ['EHOSTUNREACH', 'ENETUNREACH', 'ECONNREFUSED', 'ETIMEDOUT']) {
      const error = mapped(sysError(code, { level: 'client-socket' }));
      assert.equal(isTransientConnectError(error, false), false, `${code}, first connection: the host is not there`);
      assert.equal(isTransientConnectError(error, true), true, `${code}, reconnecting: the link or sshd is coming back`);
    }
    for (const timeout of [handshakeTimeout, connectTimeout]) {
      assert.equal(isTransientConnectError(timeout, false), false, `${timeout.message}: the whole timeout was waited already`);
      assert.equal(isTransientConnectError(timeout, true), true, timeout.message);
    }
    assert.equal(isTransientConnectError(mapped(Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' })), true), false);
    assert.equal(isTransientConnectError(mapped(sysError('ENOTFOUND', { level: 'client-dns' })), true), false);
    assert.equal(isTransientConnectError(new OperationError('E_HOST_KEY_CHANGED', 'changed'), true), false);
  });
});

describe('engine client: only idempotent calls are repeated', () => {
  let dir: string;
  let server: Server;
  let engine: EngineClient;
  const seen: string[] = [];
  /** Answers per "METHOD path": how many 503s before a success; 'reset' drops the first connection. */
  const script = new Map<string, number | 'reset'>();
  const { policy, notices } = recordingPolicy();

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pks-retry-'));
    const socketPath = path.join(dir, 'engine.sock');
    server = createServer((req, res) => {
      const route = `${req.method} ${(req.url ?? '').replace(/^\/v\d+\.\d+/, '').replace(/\?.*$/, '')}`;
      req.resume();
      if (route === 'GET /_ping') {
        res.writeHead(200, { 'API-Version': '1.41' }).end('OK');
        return;
      }
      seen.push(route);
      const plan = script.get(route) ?? 0;
      if (plan === 'reset') {
        script.set(route, 0);
        req.socket.destroy();
        return;
      }
      if (plan > 0) {
        script.set(route, plan - 1);
        res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'engine busy' }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(route.startsWith('GET /containers/json') ? '[]' : '{"Id":"new"}');
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    engine = await openLocalEngine({ DOCKER_HOST: `unix://${socketPath}` }, { retry: policy });
  });

  after(async () => {
    await engine.close();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET: two 503s then success is one call for the caller, with two notices', async () => {
    seen.length = 0;
    notices.length = 0;
    script.set('GET /containers/json', 2);
    assert.deepEqual(await engine.listContainers(), []);
    assert.deepEqual(seen, ['GET /containers/json', 'GET /containers/json', 'GET /containers/json']);
    assert.deepEqual(notices.map((n) => `${n.operation} ${n.attempt}/${n.attempts}: ${n.reason}`), [
      'GET /containers/json 2/3: HTTP 503: engine busy',
      'GET /containers/json 3/3: HTTP 503: engine busy',
    ]);
  });

  it('GET: a dropped connection is retried', async () => {
    seen.length = 0;
    script.set('GET /containers/json', 'reset');
    assert.deepEqual(await engine.listContainers(), []);
    assert.equal(seen.length, 2);
  });

  it('GET: still failing after 3 tries, the last error is the caller’s', async () => {
    seen.length = 0;
    script.set('GET /containers/json', 5);
    await assert.rejects(engine.listContainers(), (error: unknown) => error instanceof EngineApiError && error.statusCode === 503);
    assert.equal(seen.length, 3);
    script.delete('GET /containers/json');
  });

  it('DELETE is idempotent: retried', async () => {
    seen.length = 0;
    script.set('DELETE /containers/c', 1);
    assert.equal(await engine.requestEmpty({ method: 'DELETE', path: '/containers/c' }), 200);
    assert.equal(seen.length, 2);
  });

  it('POST (create, start, exec) and PUT (upload) are sent once, whatever happens', async () => {
    for (const [method, route] of [['POST', '/containers/create'], ['POST', '/containers/c/start'], ['POST', '/containers/c/exec'], ['PUT', '/containers/c/archive']] as const) {
      for (const plan of [1, 'reset'] as const) {
        seen.length = 0;
        notices.length = 0;
        script.set(`${method} ${route}`, plan);
        const request =
          method === 'PUT'
            ? { method, path: route, bodyStream: Readable.from([Buffer.from('tar')]) }
            : { method, path: route, body: {} };
        await assert.rejects(engine.requestEmpty(request), `${method} ${route} (${plan})`);
        assert.deepEqual(seen, [`${method} ${route}`], `${method} ${route} (${plan}) was sent once`);
        assert.equal(notices.length, 0);
        script.delete(`${method} ${route}`);
      }
    }
  });
});
