// What users expect out of habit from the docker CLI and editors, on the
// built binary and the local engine: `exec <container> ls -la` without `--`,
// `rm --force` without `--yes`, `list -q`, the commands spawn suggests, the
// note about a missing VS Code, and spawn from inside the project.
import assert from 'node:assert/strict';
import path from 'node:path';
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

describe('rm and list as docker rm -f and docker ps -q', () => {
  it('rm --force removes a running container without a terminal and without --yes', async () => {
    const box = await spawned();
    const result = await sandbox.run(['devcontainer', 'rm', '--force', box.container]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Removed the container/);
    assert.deepEqual((await leftovers(fixture.engine('local'), box.project.dir)).containers, []);
    const short = await spawned();
    const dashF = await sandbox.run(['devcontainer', 'rm', '-f', short.container, '--volumes']);
    assert.equal(dashF.code, 0, dashF.stderr);
    assert.deepEqual(await leftovers(fixture.engine('local'), short.project.dir), { containers: [], volumes: [] });
  });

  it('rm without --force still asks, and without a terminal names the flag instead', async () => {
    const box = await spawned();
    const stopped = await sandbox.run(['devcontainer', 'stop', box.container]);
    assert.equal(stopped.code, 0, stopped.stderr);
    const result = await sandbox.run(['devcontainer', 'rm', box.container]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cannot ask without a terminal\.\n {2}hint: Pass --yes to confirm\./);
    assert.equal((await leftovers(fixture.engine('local'), box.project.dir)).containers.length, 1, 'nothing removed');
  });

  it('list -q prints container IDs only, one per line; -aq includes stopped ones', async () => {
    const running = await spawned();
    const stopped = await spawned();
    assert.equal((await sandbox.run(['devcontainer', 'stop', stopped.container])).code, 0);
    const quiet = await sandbox.run(['devcontainer', 'list', '-q']);
    assert.equal(quiet.code, 0, quiet.stderr);
    const ids = quiet.stdout.trimEnd().split('\n');
    for (const id of ids) assert.match(id, /^[0-9a-f]{12}$/, quiet.stdout);
    assert.ok(ids.includes(running.id.slice(0, 12)), quiet.stdout);
    assert.ok(!ids.includes(stopped.id.slice(0, 12)), 'a stopped container only with -a');
    assert.equal(quiet.stderr, '');
    const all = await sandbox.run(['devcontainer', 'list', '-aq']);
    assert.equal(all.code, 0, all.stderr);
    assert.ok(all.stdout.split('\n').includes(stopped.id.slice(0, 12)), all.stdout);
    assert.equal((await sandbox.run(['devcontainer', 'list', '--quiet', '--format', 'json'])).code, 2);
  });
});

describe('the commands spawn suggests name the container as list shows it', () => {
  it('suggests shell and connect with the project name, and the container name when the project name is shared', async () => {
    const name = `habit-${Date.now().toString(36)}`;
    const first = await fixture.project('local', { '.devcontainer/devcontainer.json': BUSYBOX }, { name });
    const summary = await sandbox.run(['devcontainer', 'spawn', first.dir, '--no-launch'], { timeoutMs: 180_000 });
    assert.equal(summary.code, 0, summary.stderr);
    assert.match(summary.stdout, new RegExp(`^shell +pks devcontainer shell ${name}$`, 'm'));
    assert.match(summary.stdout, new RegExp(`^connect +pks devcontainer connect ${name}$`, 'm'));
    assert.doesNotMatch(summary.stdout, /exec .* -it -- sh/);

    // A second folder of the same name: the project name no longer picks one container.
    const second = await fixture.project('local', { '.devcontainer/devcontainer.json': BUSYBOX }, { name });
    const again = await sandbox.run(['devcontainer', 'spawn', second.dir, '--no-launch'], { timeoutMs: 180_000 });
    assert.equal(again.code, 0, again.stderr);
    const container = /^container +(\S+) \(/m.exec(again.stdout)?.[1] ?? '';
    assert.match(container, /^pks-/);
    assert.match(again.stdout, new RegExp(`^shell +pks devcontainer shell ${container}$`, 'm'));
  });

  it('rm of a running container suggests stop with the project name', async () => {
    const box = await spawned();
    const result = await sandbox.run(['devcontainer', 'rm', box.container, '--yes']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`hint: Stop it first \\(pks devcontainer stop ${box.project.name}\\), or pass --force\\.`));
  });
});

describe('spawn without VS Code on PATH', () => {
  // No `code` or `code-insiders` in these folders; git (for the upload) is.
  const NO_EDITOR = { PATH: '/usr/local/bin:/usr/bin:/bin' };

  it('says nothing about the editor when the spawn fails', async () => {
    const p = await fixture.project('local', { '.devcontainer/devcontainer.json': '{ "image": ' });
    const result = await sandbox.run(['devcontainer', 'spawn', p.dir], { env: NO_EDITOR });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /devcontainer\.json:1:\d+/);
    assert.doesNotMatch(result.stderr, /not on PATH/);
  });

  it('says so at the end of a successful spawn, with the URI to open by hand', async () => {
    const p = await fixture.project('local', { '.devcontainer/devcontainer.json': BUSYBOX });
    const result = await sandbox.run(['devcontainer', 'spawn', p.dir], { env: NO_EDITOR, timeoutMs: 180_000 });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stderr.trimEnd().split('\n');
    const last = lines.at(-1) ?? '';
    assert.match(last, new RegExp(`^VS Code \\(code, code-insiders, cursor, windsurf\\) is not on PATH, so nothing was opened\\. Open it by hand from a machine with VS Code: code --folder-uri 'vscode-remote://attached-container\\+[0-9a-f]+/workspaces/${p.name}'`));
    assert.ok(lines.findIndex((line) => /Dev container \S+ created\./.test(line)) < lines.length - 1, result.stderr);
  });
});

describe('spawn from a sub-folder of the project', () => {
  it('spawns the nearest folder above with a configuration, and says which', async () => {
    const p = await fixture.project('local', { '.devcontainer/devcontainer.json': BUSYBOX, 'src/deep/main.sh': 'echo hi\n' });
    const result = await sandbox.run(['devcontainer', 'spawn', '--no-launch', '--format', 'json'], { cwd: path.join(p.dir, 'src', 'deep'), timeoutMs: 180_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`src/deep has no dev container configuration: spawning the project at ${p.dir.replace(/[.]/g, '\\.')}, the nearest folder above it with one\\.`));
    const outcome = JSON.parse(result.stdout) as { remoteWorkspaceFolder: string };
    assert.equal(outcome.remoteWorkspaceFolder, `/workspaces/${p.name}`);
    assert.equal((await leftovers(fixture.engine('local'), p.dir)).containers.length, 1, 'the container is labelled with the project folder');
  });
});
