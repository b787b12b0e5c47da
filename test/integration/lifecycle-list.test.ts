// `pks devcontainer list` against the real engines: the local one and the
// test hosts over SSH. Other tests run at the same time, so assertions look
// only at the containers this file creates.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DevcontainerSummary } from '../../src/core/containers/discovery.js';
import { SANDBOX_USER } from '../helpers/pks-cli.js';
import { assertErrorCode, errorCodes, logLines } from '../helpers/error-codes.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';
import { createDevcontainer, openHosts, removeDevcontainerFixture, runPks, uniqueName, type FakeDevcontainer, type Hosts } from './lifecycle-fixtures.js';

/** The documented JSON shape; JSON_KEYS below pins its keys independently of the type. */
type Listed = DevcontainerSummary & { forwards: unknown[] };

const JSON_KEYS = ['address', 'compose', 'containerId', 'createdAt', 'foreign', 'forwards', 'host', 'image', 'name', 'project', 'projectPath', 'spawnedAt', 'spawnedBy', 'status', 'statusText', 'volume', 'workspaceFolder'];

let testEnv: TestEnv;
let hosts: Hosts;
const made: Array<{ engine: 'local' | 'r1'; fake: FakeDevcontainer }> = [];
let running: FakeDevcontainer;
let stopped: FakeDevcontainer;
let foreign: FakeDevcontainer;
let remote: FakeDevcontainer;

before(async () => {
  testEnv = loadTestEnv();
  // A registered host whose sshd does not answer: nothing listens on 2299.
  hosts = await openHosts(testEnv, [{ id: 'down', host: testEnv.r1.host, port: 2299 }]);
  const image = testEnv.images.busybox;
  [running, stopped, foreign, remote] = await Promise.all([
    createDevcontainer(hosts.local, { image, project: uniqueName('pkslist-run') }),
    createDevcontainer(hosts.local, { image, project: uniqueName('pkslist-stop'), start: false }),
    createDevcontainer(hosts.local, { image, project: uniqueName('pkslist-vscode'), foreign: true }),
    createDevcontainer(hosts.r1, { image, project: uniqueName('pkslist-r1'), host: 'r1' }),
  ]);
  made.push({ engine: 'local', fake: running }, { engine: 'local', fake: stopped }, { engine: 'local', fake: foreign }, { engine: 'r1', fake: remote });
});

after(async () => {
  await Promise.all(made.map(({ engine, fake }) => removeDevcontainerFixture(engine === 'local' ? hosts.local : hosts.r1, fake)));
  await hosts.cleanup();
});

function ours(list: Listed[]): Listed[] {
  const names = new Set(made.map(({ fake }) => fake.name));
  return list.filter((c) => names.has(c.name));
}

function tableLine(stdout: string, project: string): string | undefined {
  return stdout.split('\n').find((line) => line.startsWith(`${project} `));
}

describe('pks devcontainer list (local engine)', () => {
  it('shows running pks containers as a table, with the documented columns', async () => {
    const result = await runPks(['devcontainer', 'list'], { env: hosts.env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^PROJECT\s+CONTAINER\s+STATUS\s+HOST\s+AGE\s+IMAGE\n/);
    const line = tableLine(result.stdout, running.project);
    assert.ok(line, result.stdout);
    assert.match(line, new RegExp(`^${running.project}\\s+${running.id.slice(0, 12)}\\s+running\\s+local\\s+less than a minute\\s+${testEnv.images.busybox}$`));
    assert.equal(tableLine(result.stdout, stopped.project), undefined, 'stopped containers only with --all');
    assert.equal(tableLine(result.stdout, foreign.project), undefined, 'foreign containers only with --include-foreign');
  });

  it('--all adds stopped ones; ls is an alias', async () => {
    const result = await runPks(['dc', 'ls', '--all'], { env: hosts.env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(tableLine(result.stdout, stopped.project) ?? '', /\s+created\s+local\s+/);
    assert.ok(tableLine(result.stdout, running.project));
  });

  it('prints a stable JSON shape', async () => {
    const result = await runPks(['devcontainer', 'list', '--all', '--format', 'json'], { env: hosts.env });
    assert.equal(result.code, 0, result.stderr);
    const listed = ours(JSON.parse(result.stdout) as Listed[]);
    assert.deepEqual(listed.map((c) => c.project).sort(), [running.project, stopped.project].sort());
    const entry = listed.find((c) => c.project === running.project);
    assert.deepEqual(Object.keys(entry ?? {}).sort(), JSON_KEYS);
    assert.deepEqual(entry, {
      project: running.project,
      containerId: running.id,
      name: running.name,
      status: 'running',
      statusText: entry?.statusText,
      host: 'local',
      createdAt: entry?.createdAt,
      spawnedAt: entry?.spawnedAt,
      image: testEnv.images.busybox,
      projectPath: running.projectPath,
      volume: running.volume,
      workspaceFolder: running.workspaceFolder,
      foreign: false,
      spawnedBy: SANDBOX_USER,
      compose: null,
      address: entry?.address,
      forwards: [],
    });
    assert.match(entry?.address ?? '', /^\d+\.\d+\.\d+\.\d+$/, 'a running container on the default bridge has an address');
    assert.equal(listed.find((c) => c.project === stopped.project)?.address, null, 'a stopped one has none');
    assert.match(entry?.statusText ?? '', /^Up /);
    assert.ok(Math.abs(Date.parse(entry?.createdAt ?? '') - Date.now()) < 5 * 60_000);
  });

  it('--include-foreign adds the dev containers other tools made, marked as such', async () => {
    const table = await runPks(['devcontainer', 'list', '--include-foreign'], { env: hosts.env });
    assert.equal(table.code, 0, table.stderr);
    assert.match(tableLine(table.stdout, foreign.project) ?? '', new RegExp(`^${foreign.project} \\(foreign\\)\\s+${foreign.id.slice(0, 12)}\\s+running`));
    const json = await runPks(['devcontainer', 'list', '--include-foreign', '--format', 'json'], { env: hosts.env });
    const entry = ours(JSON.parse(json.stdout) as Listed[]).find((c) => c.name === foreign.name);
    assert.equal(entry?.foreign, true);
    assert.equal(entry?.projectPath, foreign.projectPath);
  });
});

describe('pks devcontainer list on remote hosts', () => {
  it('--remote lists that host\'s containers', async () => {
    const result = await runPks(['devcontainer', 'list', '--remote', 'r1', '--format', 'json'], { env: hosts.env });
    assert.equal(result.code, 0, result.stderr);
    const listed = ours(JSON.parse(result.stdout) as Listed[]);
    assert.deepEqual(listed.map((c) => [c.project, c.host]), [[remote.project, 'r1']]);
  });

  it('--all-remotes lists every engine; a host that is down is an error line and exit 1, the rest still print', async () => {
    const started = Date.now();
    const table = await runPks(['devcontainer', 'list', '--all-remotes'], { env: hosts.env });
    assert.equal(table.code, 1, 'partial: exit 1');
    assert.match(tableLine(table.stdout, running.project) ?? '', /\s+local\s+/);
    assert.match(tableLine(table.stdout, remote.project) ?? '', /\s+r1\s+/);
    assert.match(table.stderr, /error: remote host "down" \([^)]*:2299\): .*(refused|connect)/i);
    assert.match(table.stderr, /1 of 4 engines could not be listed \(down\)/);
    assert.match(table.stderr, /pks remote test down/);
    assert.doesNotMatch(table.stderr, /r1|r2/, 'only the failing host is reported');
    assert.ok(Date.now() - started < 15_000, 'a refused connection does not wait for a timeout');

    const json = await runPks(['devcontainer', 'list', '--all-remotes', '--format', 'json', '--log-format', 'json'], { env: hosts.env });
    assertErrorCode(json, 'E_LIST_PARTIAL', 1);
    assert.deepEqual(errorCodes(json), ['E_SSH_UNREACHABLE', 'E_LIST_PARTIAL'], 'one error line for the host that is down, then the partial list');
    const listed = ours(JSON.parse(json.stdout) as Listed[]);
    assert.deepEqual(listed.map((c) => `${c.host}:${c.project}`).sort(), [`local:${running.project}`, `r1:${remote.project}`].sort());
  });

  it('--remote and --all-remotes together are a usage error', async () => {
    const result = await runPks(['devcontainer', 'list', '--remote', 'r1', '--all-remotes', '--log-format', 'json'], { env: hosts.env });
    assertErrorCode(result, 'E_USAGE', 2);
  });

  it('prints [] as JSON when no engine answers, and names each failure', async () => {
    const env = { ...hosts.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock', PKS_HOME: `${hosts.env.PKS_HOME ?? ''}-empty` };
    const result = await runPks(['devcontainer', 'list', '--all-remotes', '--format', 'json', '--log-format', 'json'], { env });
    assertErrorCode(result, 'E_LIST_PARTIAL', 1);
    assert.equal(result.stdout.trim(), '[]');
    assert.deepEqual(errorCodes(result), ['E_ENGINE_UNREACHABLE', 'E_LIST_PARTIAL'], result.stderr);
    assert.ok(logLines(result).some((line) => line.level === 'error' && line.message.startsWith('the local engine: ')), result.stderr);
  });
});
