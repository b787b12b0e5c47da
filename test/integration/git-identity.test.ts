// The git identity copied into a container on a real engine: the look and the
// writes go in one exec (each exec is three round trips to a remote engine),
// with the same outcomes as one git command per exec.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execCapture } from '../../src/core/containers/exec.js';
import { copyGitIdentity } from '../../src/core/containers/git-identity.js';
import { openLocalEngine, type EngineClient } from '../../src/engine/index.js';
import { withContainer } from '../helpers/plain-container.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';

let env: TestEnv;
let engine: EngineClient;
before(async () => {
  env = loadTestEnv();
  engine = await openLocalEngine({ DOCKER_HOST: `unix://${env.localSocket}` });
});
after(() => engine.close());

/** `engine`, counting the execs created through it. */
function countingExecs(): { engine: EngineClient; execs: string[][] } {
  const execs: string[][] = [];
  const counted = new Proxy(engine, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== 'createExec' || typeof value !== 'function') return value;
      return (id: string, options: { cmd: string[] }) => {
        execs.push(options.cmd);
        return Reflect.apply(value, target, [id, options]) as unknown;
      };
    },
  });
  return { engine: counted, execs };
}

const inContainer = (image: string, body: (id: string) => Promise<void>): Promise<void> => withContainer(engine, image, body, 'git-identity');

describe('copying the git identity into a container (local engine)', () => {
  it('writes both keys in one exec, values taken literally', async () => {
    await inContainer(env.images.debian, async (id) => {
      const counted = countingExecs();
      const name = 'Zoë O\'Brien "$(id)" `x`';
      const outcome = await copyGitIdentity(counted.engine, id, undefined, { name, email: 'zoe@example.org' });
      assert.deepEqual(outcome, { kind: 'copied', keys: ['user.name', 'user.email'] });
      assert.equal(counted.execs.length, 1, JSON.stringify(counted.execs));
      const config = await execCapture(engine, id, { cmd: ['git', 'config', '--global', '--get-regexp', '^user\\.'] });
      assert.equal(config.stdout, `user.name ${name}\nuser.email zoe@example.org\n`);
    });
  });

  it('keeps an identity the container user has, in one exec', async () => {
    await inContainer(env.images.debian, async (id) => {
      await execCapture(engine, id, { cmd: ['git', 'config', '--global', 'user.email', 'own@example.org'] });
      const counted = countingExecs();
      const outcome = await copyGitIdentity(counted.engine, id, undefined, { name: 'Ada', email: 'ada@example.org' });
      assert.deepEqual(outcome, { kind: 'kept', reason: 'the container user has a git identity of its own' });
      assert.equal(counted.execs.length, 1);
      const config = await execCapture(engine, id, { cmd: ['git', 'config', '--global', '--list'] });
      assert.equal(config.stdout, 'user.email=own@example.org\n');
    });
  });

  it('says git is missing from an image without it, in one exec', async () => {
    await inContainer(env.images.busybox, async (id) => {
      const counted = countingExecs();
      const outcome = await copyGitIdentity(counted.engine, id, undefined, { name: 'Ada' });
      assert.deepEqual(outcome, { kind: 'skipped', reason: 'git is not installed in the container' });
      assert.equal(counted.execs.length, 1);
    });
  });

  it('reports the git command that failed, with its exit code and message', async () => {
    await inContainer(env.images.debian, async (id) => {
      // A global config git cannot write: a folder where the file should be.
      await execCapture(engine, id, { cmd: ['mkdir', '-p', '/root/.gitconfig'] });
      const outcome = await copyGitIdentity(engine, id, undefined, { name: 'Ada' });
      assert.equal(outcome.kind, 'skipped');
      assert.match(outcome.kind === 'skipped' ? outcome.reason : '', /^git config --global user\.name failed with exit code \d+: \S/);
    });
  });
});
