// `pks doctor`: one report of this machine, the local engine and every
// registered host (one that answers, one that refuses), with a fix for what is
// not right; exit 1 when a check failed, 0 when only warnings are left.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DoctorCheck } from '../../src/cli/commands/doctor/doctor-run.js';
import { assertErrorCode } from '../helpers/error-codes.js';
import { E2eFixture } from '../helpers/e2e-fixture.js';

const fixture = new E2eFixture(['local', 'r1']);
before(async () => {
  await fixture.setUp();
  const added = await fixture.sandbox.run(['remote', 'add', 'refused', '--host', fixture.env.r1.host, '--port', '2', '--user', fixture.env.r1.user, '--key', fixture.env.r1.key, '--no-test']);
  assert.equal(added.code, 0, added.stderr);
});
after(() => fixture.tearDown());

/** No editor on PATH: only node's folder and the system's. */
const PATH = `${path.dirname(process.execPath)}:/usr/bin:/bin`;

describe('pks doctor', () => {
  it('reports every check with its fix, and fails when a registered host cannot be reached', async () => {
    const result = await fixture.sandbox.run(['doctor', '--format', 'json', '--timeout', '5', '--log-format', 'json'], { env: { PATH } });
    assertErrorCode(result, 'E_DOCTOR_FAILED', 1);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: DoctorCheck[] };
    assert.equal(report.ok, false);
    const byName = new Map(report.checks.map((check) => [check.name, check]));
    assert.deepEqual([...byName.keys()], ['node', 'git', 'editor', 'compose', 'local engine', 'remote r1', 'remote refused', 'ssh include']);
    // The test environment has Debian's docker-compose (v1) and its docker CLI 20.10, which builds with BuildKit.
    assert.equal(byName.get('compose')?.status, 'ok');
    assert.match(byName.get('compose')?.detail ?? '', /^docker-compose 1\.\d+\.\d+, building with BuildKit through \/usr\/bin\/docker$/);
    assert.equal(byName.get('node')?.status, 'ok');
    assert.equal(byName.get('local engine')?.status, 'ok');
    assert.match(byName.get('local engine')?.detail ?? '', /^Docker \S+ \(API 1\.\d+/);
    assert.equal(byName.get('remote r1')?.status, 'ok', JSON.stringify(byName.get('remote r1')));
    const refused = byName.get('remote refused');
    assert.equal(refused?.status, 'fail');
    assert.match(refused?.detail ?? '', /ECONNREFUSED|refused/);
    assert.ok((refused?.fix ?? '') !== '', 'a failed check says what to do');
    assert.equal(byName.get('editor')?.status, 'warn');
    assert.equal(byName.get('ssh include')?.status, 'warn', 'the sandbox ~/.ssh/config has no Include');
    assert.match(byName.get('ssh include')?.fix ?? '', /Include \S+ssh_config/);
  });

  it('--no-remotes checks this machine only; warnings alone exit 0', async () => {
    const result = await fixture.sandbox.run(['doctor', '--no-remotes'], { env: { PATH } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^✔ node +Node\.js v\d+/m);
    assert.match(result.stdout, /^! editor +none of code, code-insiders, cursor, windsurf is on PATH\n {4}fix: /m);
    assert.doesNotMatch(result.stdout, /remote/);
    assert.match(result.stderr, /✔ All checks passed \(1 warning\)\./);
  });
});
