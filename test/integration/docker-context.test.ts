// The local engine through the docker CLI's contexts, against the real local
// engine: a temporary HOME holds ~/.docker/config.json and the contexts'
// meta.json files as `docker context create/use` writes them. A context's
// socket is a symlink to the engine's, so reaching the engine proves the
// context was followed (the default socket would reach it too).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { openLocalEngine } from '../../src/engine/index.js';
import { engineStartHint } from '../../src/engine/engine-start-hint.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';

let env: TestEnv;
let home: string;
let linkedSocket: string;

async function addContext(name: string, host: string, configDir = path.join(home, '.docker')): Promise<void> {
  const dir = path.join(configDir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
}

async function useContext(name: string): Promise<void> {
  await writeFile(path.join(home, '.docker', 'config.json'), JSON.stringify({ auths: {}, currentContext: name }));
}

async function failure(processEnv: NodeJS.ProcessEnv): Promise<{ code: string; message: string; hint: string }> {
  try {
    const engine = await openLocalEngine(processEnv);
    try {
      await engine.ping();
    } finally {
      await engine.close();
    }
  } catch (error) {
    assert.ok(isPksError(error), String(error));
    return { code: error.code, message: error.message, hint: error.hint ?? '' };
  }
  assert.fail('the engine was reached');
}

before(async () => {
  env = loadTestEnv();
  home = await mkdtemp(path.join(os.tmpdir(), 'pks-context-'));
  await mkdir(path.join(home, '.docker'), { recursive: true });
  linkedSocket = path.join(home, 'engine.sock');
  await symlink(env.localSocket, linkedSocket);
  await addContext('pks-linked', `unix://${linkedSocket}`);
  await addContext('pks-missing', `unix://${path.join(home, 'missing.sock')}`);
  await addContext('pks-ssh', 'ssh://dev@203.0.113.7');
  await addContext('pks-tcp', 'tcp://203.0.113.7:2375');
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('the local engine from docker contexts', () => {
  it('follows the current context of ~/.docker/config.json to its unix socket, and names it', async () => {
    await useContext('pks-linked');
    const engine = await openLocalEngine({ HOME: home });
    try {
      assert.equal((await engine.ping()).osType, 'linux');
      assert.equal(engine.target, `local engine (docker context "pks-linked", unix://${linkedSocket})`);
    } finally {
      await engine.close();
    }
  });

  it('DOCKER_CONTEXT wins over the current context, DOCKER_HOST over both; "default" is the default socket', async () => {
    await useContext('pks-missing');
    const viaEnv = await openLocalEngine({ HOME: home, DOCKER_CONTEXT: 'pks-linked' });
    try {
      await viaEnv.ping();
      assert.match(viaEnv.target, /pks-linked/);
    } finally {
      await viaEnv.close();
    }
    const viaHost = await openLocalEngine({ HOME: home, DOCKER_CONTEXT: 'pks-missing', DOCKER_HOST: `unix://${env.localSocket}` });
    try {
      await viaHost.ping();
    } finally {
      await viaHost.close();
    }
    const missing = await failure({ HOME: home });
    assert.equal(missing.code, 'E_ENGINE_UNREACHABLE');
    assert.match(missing.message, /docker context "pks-missing".*no socket at/);
    assert.match(missing.hint, /docker context use default/);
    const byEnv = await failure({ HOME: home, DOCKER_CONTEXT: 'pks-missing' });
    assert.match(byEnv.hint, /unset DOCKER_CONTEXT/);
    const dflt = await openLocalEngine({ HOME: home, DOCKER_CONTEXT: 'default', DOCKER_CONFIG: path.join(home, 'nowhere') });
    try {
      assert.equal(dflt.target, 'local engine (unix:///var/run/docker.sock)');
    } finally {
      await dflt.close();
    }
  });

  it('honours DOCKER_CONFIG for where the contexts live', async () => {
    const other = path.join(home, 'other-config');
    await addContext('pks-elsewhere', `unix://${linkedSocket}`, other);
    await writeFile(path.join(other, 'config.json'), JSON.stringify({ currentContext: 'pks-elsewhere' }));
    const engine = await openLocalEngine({ HOME: home, DOCKER_CONFIG: other });
    try {
      await engine.ping();
      assert.match(engine.target, /pks-elsewhere/);
    } finally {
      await engine.close();
    }
  });

  it('refuses ssh:// and tcp:// contexts and unknown ones, each with the next step', async () => {
    for (const name of ['pks-ssh', 'pks-tcp']) {
      const refused = await failure({ HOME: home, DOCKER_CONTEXT: name });
      assert.equal(refused.code, 'E_DOCKER_CONTEXT');
      assert.match(refused.message, new RegExp(`DOCKER_CONTEXT=${name} points at (ssh|tcp)://`));
      assert.match(refused.hint, /pks remote add/);
    }
    await useContext('pks-nonexistent');
    const unknown = await failure({ HOME: home });
    assert.equal(unknown.code, 'E_DOCKER_CONTEXT');
    assert.match(unknown.message, /The current docker context "pks-nonexistent" does not exist/);
    assert.match(unknown.hint, /docker context ls/);
    await writeFile(path.join(home, '.docker', 'config.json'), '{"currentContext": ');
    assert.equal((await failure({ HOME: home })).code, 'E_DOCKER_CONTEXT');
  });
});

describe('the hint when the local engine is down', () => {
  const unix = (socketPath: string) => ({ kind: 'unix' as const, socketPath });
  it('names systemctl only where systemd runs', () => {
    assert.match(engineStartHint(unix('/var/run/docker.sock'), { kind: 'default' }, true), /sudo systemctl start docker/);
    const noSystemd = engineStartHint(unix('/var/run/docker.sock'), { kind: 'default' }, false);
    assert.doesNotMatch(noSystemd, /systemctl/);
    assert.match(noSystemd, /dockerd/);
    assert.match(engineStartHint(unix('/run/user/1000/docker.sock'), { kind: 'DOCKER_HOST' }, true), /systemctl --user start docker/);
  });

  it('names what runs a context\'s engine: colima, Docker Desktop, or the context itself', () => {
    assert.match(engineStartHint(unix('/home/u/.colima/default/docker.sock'), { kind: 'context', name: 'colima', from: 'config' }, true), /`colima start`.*docker context use default/);
    assert.match(engineStartHint(unix('/home/u/.colima/work/docker.sock'), { kind: 'context', name: 'colima-work', from: 'DOCKER_CONTEXT' }, false), /`colima start --profile work`.*unset DOCKER_CONTEXT/);
    assert.match(engineStartHint(unix('/home/u/.docker/desktop/docker.sock'), { kind: 'context', name: 'desktop-linux', from: 'config' }, true), /Docker Desktop/);
    const other = engineStartHint(unix('/srv/engine.sock'), { kind: 'context', name: 'lab', from: 'config' }, true);
    assert.match(other, /docker context "lab" points at \(\/srv\/engine\.sock\)/);
    assert.doesNotMatch(other, /systemctl/);
  });
});
