// What users type out of habit from the docker CLI, on the built binary and
// the local engine: `exec <container> ls -la` without `--`, `rm --force`
// without `--yes`, `list -q`, and the hints spawn prints.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eFixture } from '../helpers/e2e-fixture.js';
import { STACK_TRACE, type Sandbox } from '../helpers/pks-cli.js';
import { leftovers, type Project } from '../helpers/projects.js';

const fixture = new E2eFixture(['local']);
let sandbox: Sandbox;
const BUSYBOX = JSON.stringify({ image: 'pks-test/busybox:latest' });

/** A busybox project spawned on the local engine; its container name. */
async function spawned(): Promise<{ project: Project; container: string; id: string }> {
  const project = await fixture.project('local', { '.devcontainer/devcontainer.json': BUSYBOX });
  const result = await fixture.spawn('local', project.dir, ['--no-launch']);
  assert.equal(result.code, 0, result.stderr);
  return { project, container: result.outcome?.containerName ?? '', id: result.outcome?.containerId ?? '' };
}

before(async () => {
  await fixture.setUp();
  sandbox = fixture.sandbox;
});
after(() => fixture.tearDown());

describe('exec takes the command as docker exec does', () => {
  let box: { project: Project; container: string };
  before(async () => {
    box = await spawned();
  });

  it('passes every option after the container to the command, pks\'s own global flags included', async () => {
    const result = await sandbox.run(['devcontainer', 'exec', box.container, 'sh', '-c', 'echo "$*"', 'sh', '-la', '-v', '--log-format', 'json', '-V']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '-la -v --log-format json -V\n');
    assert.equal(result.stderr, '');
  });

  it('still accepts -- before the command, and -- alone names no container', async () => {
    const dashed = await sandbox.run(['devcontainer', 'exec', box.container, '--', 'ls', '-la', '/']);
    assert.equal(dashed.code, 0, dashed.stderr);
    assert.match(dashed.stdout, /^d.* etc$/m);
    const here = await sandbox.run(['dc', 'exec', '--', 'ls', '-d', '/tmp'], { cwd: box.project.dir });
    assert.equal(here.code, 0, here.stderr);
    assert.equal(here.stdout, '/tmp\n');
  });

  it('takes -u, -w and -e for --user, --workdir and --env, before the container', async () => {
    const result = await sandbox.run(['dc', 'exec', '-u', 'root', '-w', '/tmp', '-e', 'GREETING=hi', box.container, 'sh', '-c', 'echo "$(id -u) $PWD $GREETING"']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '0 /tmp hi\n');
  });

  it('keeps --verbose working before the container and after other commands\' names', async () => {
    const result = await sandbox.run(['dc', 'exec', '--verbose', box.container, 'true']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /debug: .*matched by/);
    assert.doesNotMatch(result.stderr, STACK_TRACE);
  });
});

void leftovers;
