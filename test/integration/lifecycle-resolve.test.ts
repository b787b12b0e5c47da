// Which container a command acts on: by project name, prefix, container
// name, ID prefix, or the current folder; ambiguity and unknown names.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertErrorCode, lastError } from '../helpers/error-codes.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';
import { createDevcontainer, openHosts, removeDevcontainerFixture, runPks, uniqueName, type FakeDevcontainer, type Hosts } from './lifecycle-fixtures.js';

let testEnv: TestEnv;
let hosts: Hosts;
let projectDir: string;
/** A unique stem so that prefixes match only this file's containers. */
let stem: string;
let alpha: FakeDevcontainer;
let twinA: FakeDevcontainer;
let twinB: FakeDevcontainer;
let beta: FakeDevcontainer;
let vscode: FakeDevcontainer;
let remote: FakeDevcontainer;

before(async () => {
  testEnv = loadTestEnv();
  hosts = await openHosts(testEnv);
  projectDir = await mkdtemp(path.join(os.tmpdir(), 'pks-resolve-'));
  stem = uniqueName('pksres');
  const image = testEnv.images.busybox;
  [alpha, twinA, twinB, beta, vscode, remote] = await Promise.all([
    createDevcontainer(hosts.local, { image, project: `${stem}-alpha`, projectPath: projectDir, start: false }),
    // One project spawned twice (two configurations): a name that is ambiguous on purpose.
    createDevcontainer(hosts.local, { image, project: `${stem}-twin`, start: false }),
    createDevcontainer(hosts.local, { image, project: `${stem}-twin`, start: false }),
    createDevcontainer(hosts.local, { image, project: `${stem}-beta`, start: false }),
    createDevcontainer(hosts.local, { image, project: `${stem}-vscode`, foreign: true, start: false }),
    createDevcontainer(hosts.r1, { image, project: `${stem}-remote`, host: 'r1', start: false }),
  ]);
});

after(async () => {
  await Promise.all([alpha, twinA, twinB, beta, vscode].map((fake) => removeDevcontainerFixture(hosts.local, fake)));
  await removeDevcontainerFixture(hosts.r1, remote);
  await hosts.cleanup();
  await rm(projectDir, { recursive: true, force: true });
});

async function resolved(args: string[], cwd?: string): Promise<string> {
  const result = await runPks(['devcontainer', 'inspect', ...args, '--format', 'json'], { env: hosts.env, ...(cwd === undefined ? {} : { cwd }) });
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { name: string }).name;
}

describe('finding a container', () => {
  it('by exact project name, unique project prefix, container name and ID prefix', async () => {
    assert.equal(await resolved([`${stem}-alpha`]), alpha.name);
    assert.equal(await resolved([`${stem}-al`]), alpha.name);
    assert.equal(await resolved([beta.name]), beta.name);
    assert.equal(await resolved([beta.id.slice(0, 10)]), beta.name);
    assert.equal(await resolved([beta.id]), beta.name);
  });

  it('on a remote host with --remote, not elsewhere', async () => {
    assert.equal(await resolved([`${stem}-remote`, '--remote', 'r1']), remote.name);
    const local = await runPks(['devcontainer', 'inspect', `${stem}-remote`, '--log-format', 'json'], { env: hosts.env });
    assertErrorCode(local, 'E_CONTAINER_NOT_FOUND', 1);
  });

  it('without an argument, the project of the current folder (or a folder inside it)', async () => {
    assert.equal(await resolved([], projectDir), alpha.name);
    const inside = path.join(projectDir, 'src', 'lib');
    await mkdir(inside, { recursive: true });
    assert.equal(await resolved([], inside), alpha.name);
  });

  it('without an argument outside any project: says where it looked and what to do', async () => {
    const result = await runPks(['devcontainer', 'stop', '--log-format', 'json'], { env: hosts.env, cwd: os.tmpdir() });
    assertErrorCode(result, 'E_CONTAINER_NOT_FOUND', 1);
    const { message, hint } = lastError(result);
    assert.ok(message.includes(`the current folder (${os.tmpdir()}) on the local engine`), message);
    assert.ok(hint?.includes('pks devcontainer list --all'), hint);
  });

  it('an ambiguous name without a TTY is an error that lists the candidates', async () => {
    const result = await runPks(['devcontainer', 'start', `${stem}-twin`, '--log-format', 'json'], { env: hosts.env });
    assertErrorCode(result, 'E_AMBIGUOUS_CONTAINER', 2);
    const { message, hint: listed = '' } = lastError(result);
    assert.ok(message.startsWith(`2 dev containers on the local engine match "${stem}-twin"`), message);
    for (const fake of [twinA, twinB]) {
      assert.match(listed, new RegExp(`${fake.project}\\s+${fake.name}\\s+${fake.id.slice(0, 12)}\\s+local\\s+created`));
      assert.ok(listed.includes(`created  ${fake.projectPath}`), 'each candidate names its project folder');
    }
    const prefix = await runPks(['devcontainer', 'logs', stem, '--log-format', 'json'], { env: hosts.env });
    assertErrorCode(prefix, 'E_AMBIGUOUS_CONTAINER', 2); // a prefix of several projects
    assert.ok(lastError(prefix).message.startsWith('4 dev containers on the local engine match'), prefix.stderr);
  });

  it('an unknown name says where it looked and suggests list --all', async () => {
    const result = await runPks(['devcontainer', 'logs', `${stem}-nothing`, '--log-format', 'json'], { env: hosts.env });
    assertErrorCode(result, 'E_CONTAINER_NOT_FOUND', 1);
    assert.match(lastError(result).message, new RegExp(`"${stem}-nothing" on the local engine \\(looked at the project names, container names and IDs of \\d+ pks-managed containers?\\)`));
    assert.ok(lastError(result).hint?.includes('pks devcontainer list --all'), result.stderr);
    const remoteResult = await runPks(['devcontainer', 'logs', `${stem}-nothing`, '--remote', 'r1', '--log-format', 'json'], { env: hosts.env });
    assertErrorCode(remoteResult, 'E_CONTAINER_NOT_FOUND', 1);
    assert.match(lastError(remoteResult).message, /on remote host "r1" \(pksdev@10\.231\.0\.2(:22)?\)/);
    assert.ok(lastError(remoteResult).hint?.includes('pks devcontainer list --all --remote r1'), remoteResult.stderr);
  });

  it('a container another tool created is named as such and left alone', async () => {
    for (const query of [`${stem}-vscode`, vscode.name]) {
      const result = await runPks(['devcontainer', 'start', query, '--log-format', 'json'], { env: hosts.env });
      assertErrorCode(result, 'E_FOREIGN_CONTAINER', 1);
    }
    const state = await hosts.local.listContainers({ all: true, filters: { id: [vscode.id] } });
    assert.equal(state[0]?.State, 'created', 'not started');
  });
});
