// The built pks reaching the local engine through a docker context, as a
// user with `docker context use` set would: a context whose socket is gone
// fails with the context named and the next step; an ssh:// context is
// refused with a pointer to `pks remote add`; a live one works.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertErrorCode, lastError } from '../helpers/error-codes.js';
import { STACK_TRACE, sandboxPool, type Sandbox } from '../helpers/pks-cli.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';

let env: TestEnv;
const { sandbox, cleanup } = sandboxPool(() => env.knownHosts);

before(() => {
  env = loadTestEnv();
});
after(cleanup);

async function withContext(s: Sandbox, name: string, host: string): Promise<void> {
  const dir = path.join(s.home, '.docker', 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
  await writeFile(path.join(s.home, '.docker', 'config.json'), JSON.stringify({ currentContext: name }));
}

describe('pks and docker contexts', () => {
  it('lists through the current context, and says which context to fix when its engine is down', async () => {
    const s = await sandbox();
    const socket = path.join(s.home, 'engine.sock');
    await symlink(env.localSocket, socket);
    await withContext(s, 'pks-e2e-ctx', `unix://${socket}`);
    const listed = await s.run(['devcontainer', 'list', '--format', 'json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(Array.isArray(JSON.parse(listed.stdout)));

    await withContext(s, 'pks-e2e-down', `unix://${path.join(s.home, 'gone.sock')}`);
    const down = await s.run(['devcontainer', 'list', '--log-format', 'json']);
    assertErrorCode(down, 'E_ENGINE_UNREACHABLE', 1);
    assert.match(lastError(down).message, /docker context "pks-e2e-down"/);
    assert.match(lastError(down).hint ?? '', /docker context use default/);
    assert.doesNotMatch(down.stderr, STACK_TRACE);
  });

  it('refuses an ssh:// context with the pks remote add step', async () => {
    const s = await sandbox();
    await withContext(s, 'pks-e2e-ssh', 'ssh://dev@203.0.113.7');
    const refused = await s.run(['devcontainer', 'list', '--log-format', 'json']);
    assertErrorCode(refused, 'E_DOCKER_CONTEXT', 2);
    assert.match(lastError(refused).hint ?? '', /pks remote add/);
  });
});
