// The option parsers added for bad input: values that would only fail later
// (after a connection, or at the engine) are refused as usage errors up front.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '@commander-js/extra-typings';
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
