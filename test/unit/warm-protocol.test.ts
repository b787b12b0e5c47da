// The pure parts of warm connections: settings from the environment, socket
// names, and how a holder's error crosses the pipe to the command.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode, OperationError, UsageError } from '../../src/common/errors.js';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_IDLE_SECONDS, deserializeError, idleSeconds, persistenceDisabled, serializeError, warmConnectionName, warmPaths, warmRunDir } from '../../src/engine/warm-protocol.js';

describe('warm connection settings', () => {
  it('PKS_PERSIST_IDLE_SECONDS: default 600, whole seconds ≥ 1, anything else a usage error', () => {
    assert.equal(idleSeconds({}), DEFAULT_IDLE_SECONDS);
    assert.equal(DEFAULT_IDLE_SECONDS, 600);
    assert.equal(idleSeconds({ PKS_PERSIST_IDLE_SECONDS: '45' }), 45);
    for (const bad of ['0', '-5', '1.5', '10s', 'soon', ' ']) {
      assert.throws(() => idleSeconds({ PKS_PERSIST_IDLE_SECONDS: bad }), (error: unknown) => error instanceof UsageError && /whole number/.test(error.message), bad);
    }
  });

  it('the sockets live in $XDG_RUNTIME_DIR/pks when it is private, else ~/.pks/run; an explicit PKS_HOME wins', async () => {
    const runtime = await mkdtemp(path.join(os.tmpdir(), 'pks-xdg-'));
    try {
      await chmod(runtime, 0o700);
      const home = '/home/alice';
      assert.equal(warmRunDir({ HOME: home, XDG_RUNTIME_DIR: runtime }), path.join(runtime, 'pks'));
      assert.equal(warmRunDir({ HOME: home, XDG_RUNTIME_DIR: runtime, PKS_HOME: '/tmp/sandbox' }), '/tmp/sandbox/run');
      assert.equal(warmRunDir({ HOME: home }), '/home/alice/.pks/run');
      assert.equal(warmRunDir({ HOME: home, XDG_RUNTIME_DIR: 'relative/dir' }), '/home/alice/.pks/run');
      assert.equal(warmRunDir({ HOME: home, XDG_RUNTIME_DIR: path.join(runtime, 'missing') }), '/home/alice/.pks/run');
      // Others may look into it: not a place for the sockets.
      await chmod(runtime, 0o755);
      assert.equal(warmRunDir({ HOME: home, XDG_RUNTIME_DIR: runtime }), '/home/alice/.pks/run');
    } finally {
      await rm(runtime, { recursive: true, force: true });
    }
  });

  it('PKS_NO_PERSIST: set to anything but "" or "0" turns warm connections off', () => {
    assert.equal(persistenceDisabled({}), false);
    assert.equal(persistenceDisabled({ PKS_NO_PERSIST: '' }), false);
    assert.equal(persistenceDisabled({ PKS_NO_PERSIST: '0' }), false);
    assert.equal(persistenceDisabled({ PKS_NO_PERSIST: '1' }), true);
    assert.equal(persistenceDisabled({ PKS_NO_PERSIST: 'yes' }), true);
  });
});

describe('warm connection names', () => {
  it('differ whenever any part of the identity differs (host, key file stamp, pks build)', () => {
    const base = ['0.1.0+abc', 'r1', '/var/run/docker.sock', ['dev', '10.0.0.2', 22], [['/k', 1, 2, 3, 4]]];
    const name = warmConnectionName(base);
    assert.match(name, /^[0-9a-f]{24}$/);
    assert.equal(warmConnectionName(structuredClone(base)), name, 'stable');
    assert.notEqual(warmConnectionName(['0.1.1+abc', ...base.slice(1)]), name, 'another pks version');
    assert.notEqual(warmConnectionName([...base.slice(0, 4), [['/k', 1, 2, 3, 5]]]), name, 'a changed known_hosts or key file');
    assert.notEqual(warmConnectionName([base[0], 'r2', ...base.slice(2)]), name, 'another host id');
    const paths = warmPaths('/run/x', name);
    assert.deepEqual(paths, { name, api: `/run/x/${name}.sock`, control: `/run/x/${name}.ctl`, lock: `/run/x/${name}.lock` });
  });
});

describe("a holder's error, as the command's own", () => {
  it('keeps code, message, hint, details and exit code', () => {
    const original = new OperationError('E_HOST_KEY_CHANGED', 'REMOTE HOST IDENTIFICATION HAS CHANGED for h', { hint: 'ssh-keygen -R h', details: ['d'] });
    const copy = deserializeError(JSON.parse(JSON.stringify(serializeError(original))));
    assert.ok(copy instanceof OperationError);
    assert.deepEqual([copy.code, copy.message, copy.hint, copy.details, copy.exitCode], ['E_HOST_KEY_CHANGED', original.message, 'ssh-keygen -R h', ['d'], ExitCode.Operation]);
    const usage = deserializeError(serializeError(new UsageError('bad', { code: 'E_USAGE' })));
    assert.ok(usage instanceof UsageError);
    assert.equal(usage.exitCode, ExitCode.Usage);
    const unknown = deserializeError({ nonsense: true });
    assert.equal(unknown.code, 'E_ENGINE_CONNECTION');
    assert.equal(serializeError(new Error('boom')).code, 'E_ENGINE_CONNECTION');
  });
});
