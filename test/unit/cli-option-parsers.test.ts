// The option parsers added for bad input: values that would only fail later
// (after a connection, or at the engine) are refused as usage errors up front.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import { splitHostSpec } from '../../src/cli/commands/remote/add-run.js';
import { parseNonEmpty, parseSshName, parseVolumeName } from '../../src/cli/options.js';

describe('option parsers', () => {
  it('--host and --user: a name or address, never empty, an ssh option, spaces, quotes or control characters', () => {
    for (const ok of ['10.0.0.2', 'build-box', 'host.example.com', '::1', 'dev_user', 'ünï']) assert.equal(parseSshName(ok), ok);
    for (const bad of ['', '-oProxyCommand=x', 'a b', 'a\nProxyCommand x', 'tab\there', 'q"uote', 'nul\0', 'del\x7f']) {
      assert.throws(() => parseSshName(bad), InvalidArgumentError, JSON.stringify(bad));
    }
  });

  it('--volume-name: the engine\'s own rule for local volumes', () => {
    for (const ok of ['ws', 'pks-alice-api-1a2b3c4d-workspace', 'A.b_c-1']) assert.equal(parseVolumeName(ok), ok);
    for (const bad of ['', 'x', '-ws', '.ws', 'bad vol!', 'a/b', 'ü-ws']) assert.throws(() => parseVolumeName(bad), InvalidArgumentError, bad);
  });

  it('--name, --key, --docker-socket: not empty', () => {
    assert.equal(parseNonEmpty('my project'), 'my project');
    for (const bad of ['', '   ', '\t']) assert.throws(() => parseNonEmpty(bad), InvalidArgumentError);
  });
});

describe('remote add --host forms', () => {
  const cases: Array<[string, { user?: string; port?: number }, { host: string; user?: string; port?: number }]> = [
    ['box', {}, { host: 'box' }],
    ['dev@box', {}, { host: 'box', user: 'dev' }],
    ['box:2222', {}, { host: 'box', port: 2222 }],
    ['ssh://dev@box:2222', {}, { host: 'box', user: 'dev', port: 2222 }],
    ['ssh://box/', { user: 'dev' }, { host: 'box', user: 'dev' }],
    ['dev@[2001:db8::1]:2222', {}, { host: '2001:db8::1', user: 'dev', port: 2222 }],
    ['2001:db8::1', { port: 22 }, { host: '2001:db8::1', port: 22 }],
    ['dev@box', { user: 'dev', port: 2200 }, { host: 'box', user: 'dev', port: 2200 }],
  ];
  for (const [spec, flags, expected] of cases) {
    it(`${spec} ${JSON.stringify(flags)}`, () => assert.deepEqual(splitHostSpec(spec, flags), expected));
  }
  it('refuses a user or port that the flags say differently', () => {
    assert.throws(() => splitHostSpec('box:2222', { port: 22 }), /names the port 2222, but --port says 22/);
  });
});
