// Pure parts of the engine layer: DOCKER_HOST, version negotiation, the
// stream demultiplexer, query strings and error mapping.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { ExitCode, isPksError } from '../../src/common/errors.js';
import { compareApiVersions, negotiateApiVersion } from '../../src/engine/api-version.js';
import { demultiplex, FrameParser } from '../../src/engine/demux.js';
import { parseDockerHost } from '../../src/engine/docker-host.js';
import { engineErrorMessage } from '../../src/engine/engine-errors.js';
import { buildQueryString } from '../../src/engine/http-client.js';
import { localConnectionError } from '../../src/engine/local-transport.js';

describe('DOCKER_HOST', () => {
  it('defaults to /var/run/docker.sock', () => {
    assert.deepEqual(parseDockerHost({}), { kind: 'unix', socketPath: '/var/run/docker.sock' });
    assert.deepEqual(parseDockerHost({ DOCKER_HOST: '  ' }), { kind: 'unix', socketPath: '/var/run/docker.sock' });
  });

  it('reads unix:// and tcp:// (IPv4, names, IPv6)', () => {
    assert.deepEqual(parseDockerHost({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }), { kind: 'unix', socketPath: '/run/user/1000/docker.sock' });
    assert.deepEqual(parseDockerHost({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }), { kind: 'tcp', host: '127.0.0.1', port: 2375 });
    assert.deepEqual(parseDockerHost({ DOCKER_HOST: 'tcp://engine.local:2375/' }), { kind: 'tcp', host: 'engine.local', port: 2375 });
    assert.deepEqual(parseDockerHost({ DOCKER_HOST: 'tcp://[::1]:2375' }), { kind: 'tcp', host: '::1', port: 2375 });
  });

  it('refuses malformed values as usage errors with a clear reason', () => {
    const cases: Array<[string, RegExp]> = [
      ['/var/run/docker.sock', /no scheme/],
      ['unix://relative.sock', /absolute path/],
      ['tcp://127.0.0.1', /port is missing/],
      ['tcp://:2375', /not a valid URL|host is missing/],
      ['tcp://h:2375/base', /path/],
      ['http://h:2375', /scheme http/],
      ['npipe:////./pipe/docker_engine', /scheme npipe/],
    ];
    for (const [value, reason] of cases) {
      assert.throws(() => parseDockerHost({ DOCKER_HOST: value }), (error: unknown) => {
        assert.ok(isPksError(error), value);
        assert.equal(error.exitCode, ExitCode.Usage);
        assert.equal(error.code, 'E_DOCKER_HOST');
        assert.match(error.message, reason, value);
        return true;
      });
    }
  });

  it('sends ssh:// users to `pks remote add`, and refuses TLS', () => {
    assert.throws(() => parseDockerHost({ DOCKER_HOST: 'ssh://dev@box' }), (error: unknown) => {
      assert.ok(isPksError(error));
      assert.equal(error.exitCode, ExitCode.Usage);
      assert.match(error.hint ?? '', /pks remote add/);
      return true;
    });
    assert.throws(() => parseDockerHost({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' }), /TLS/);
  });
});

describe('API version negotiation', () => {
  it('compares numerically', () => {
    assert.ok(compareApiVersions('1.9', '1.10') < 0);
    assert.equal(compareApiVersions('1.41', '1.41'), 0);
    assert.ok(compareApiVersions('2.0', '1.99') > 0);
  });

  it('uses min(engine, 1.43)', () => {
    assert.equal(negotiateApiVersion({ apiVersion: '1.41', minApiVersion: '1.12' }, 't'), '1.41');
    assert.equal(negotiateApiVersion({ apiVersion: '1.47', minApiVersion: '1.24' }, 't'), '1.43');
    assert.equal(negotiateApiVersion({ apiVersion: '1.38' }, 't'), '1.38');
  });

  it('speaks the minimum of an engine that dropped 1.43', () => {
    assert.equal(negotiateApiVersion({ apiVersion: '1.52', minApiVersion: '1.44' }, 't'), '1.44');
  });

  it('refuses engines older than API 1.38 naming both versions', () => {
    assert.throws(() => negotiateApiVersion({ apiVersion: '1.37' }, 'ssh://u@h:22'), (error: unknown) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_ENGINE_TOO_OLD');
      assert.equal(error.exitCode, ExitCode.Operation);
      assert.match(error.message, /1\.37/);
      assert.match(error.message, /1\.38/);
      assert.match(error.message, /18\.06/);
      assert.match(error.message, /ssh:\/\/u@h:22/);
      return true;
    });
    assert.throws(() => negotiateApiVersion({ apiVersion: 'banana' }, 't'), { code: 'E_ENGINE_PROTOCOL' });
  });
});

function frame(type: number, payload: string): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(Buffer.byteLength(payload), 4);
  return Buffer.concat([header, Buffer.from(payload)]);
}

describe('stdout/stderr demultiplexer', () => {
  it('parses frames split at every possible byte boundary', () => {
    const stream = Buffer.concat([frame(1, 'hello '), frame(2, 'oops'), frame(1, ''), frame(1, 'world')]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const parser = new FrameParser();
      const frames = [...parser.push(stream.subarray(0, cut)), ...parser.push(stream.subarray(cut))];
      assert.deepEqual(
        frames.map((f) => [f.stream, f.payload.toString()]),
        [['stdout', 'hello '], ['stderr', 'oops'], ['stdout', ''], ['stdout', 'world']],
      );
      assert.equal(parser.buffered, 0);
    }
  });

  it('handles byte-by-byte input and large payloads', () => {
    const big = 'x'.repeat(100_000);
    const stream = Buffer.concat([frame(2, big), frame(1, 'end')]);
    const parser = new FrameParser();
    const frames = [];
    for (let i = 0; i < stream.length; i += 7) frames.push(...parser.push(stream.subarray(i, i + 7)));
    assert.equal(frames.length, 2);
    assert.equal(frames[0]?.payload.length, 100_000);
    assert.equal(frames[1]?.payload.toString(), 'end');
  });

  it('rejects unknown stream types and surfaces engine system errors', () => {
    assert.throws(() => new FrameParser().push(frame(7, 'x')), { code: 'E_ENGINE_PROTOCOL' });
    assert.throws(() => new FrameParser().push(frame(3, 'exec failed')), /exec failed/);
  });

  it('demultiplexes a stream into two writables and flags a truncated end', async () => {
    const source = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => out.push(chunk));
    stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const done = demultiplex(source, stdout, stderr);
    const all = Buffer.concat([frame(1, 'a'), frame(2, 'b'), frame(1, 'c')]);
    source.write(all.subarray(0, 5));
    source.end(all.subarray(5));
    await done;
    assert.equal(Buffer.concat(out).toString(), 'ac');
    assert.equal(Buffer.concat(err).toString(), 'b');

    const truncated = new PassThrough();
    const failing = demultiplex(truncated, new PassThrough(), new PassThrough());
    truncated.end(frame(1, 'abcdef').subarray(0, 10));
    await assert.rejects(failing, { code: 'E_ENGINE_PROTOCOL' });
  });
});

describe('query strings and engine errors', () => {
  it('encodes filters as JSON and drops undefined values', () => {
    const query = buildQueryString({ all: 1, size: undefined, filters: { label: ['pks.managed=true'] } });
    assert.equal(query, `?all=1&filters=${encodeURIComponent('{"label":["pks.managed=true"]}')}`);
    assert.equal(buildQueryString({}), '');
    assert.equal(buildQueryString(undefined), '');
  });

  it('takes the message from a JSON error body, else the text', () => {
    assert.equal(engineErrorMessage(Buffer.from('{"message":"No such container: x"}'), 404), 'No such container: x');
    assert.equal(engineErrorMessage(Buffer.from('page not found\n'), 404), 'page not found');
    assert.equal(engineErrorMessage(Buffer.alloc(0), 502), 'HTTP 502 with an empty body');
  });

  it('maps local connection failures to E_ENGINE_UNREACHABLE with a hint', () => {
    const unix = { kind: 'unix', socketPath: '/s.sock' } as const;
    const sysError = (code: string) => Object.assign(new Error(code), { code });
    const missing = localConnectionError(unix, sysError('ENOENT'));
    assert.equal(missing.code, 'E_ENGINE_UNREACHABLE');
    assert.match(missing.message, /\/s\.sock/);
    assert.match(missing.hint ?? '', /Start the Docker engine/);
    assert.match(localConnectionError(unix, sysError('ECONNREFUSED')).message, /nothing is listening/);
    const denied = localConnectionError(unix, sysError('EACCES'));
    assert.match(denied.message, /permission denied/);
    assert.match(denied.hint ?? '', /docker group/);
    const tcp = localConnectionError({ kind: 'tcp', host: 'h', port: 2375 }, sysError('ECONNREFUSED'));
    assert.equal(tcp.code, 'E_ENGINE_UNREACHABLE');
    assert.match(tcp.message, /tcp:\/\/h:2375/);
    assert.equal(localConnectionError(unix, sysError('ECONNRESET')).code, 'E_ENGINE_CONNECTION');
  });
});
