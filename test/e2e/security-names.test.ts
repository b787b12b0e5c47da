// Security checks, part 3: hostile project names and paths never reach a
// shell. Each folder name below would create a `pwned-*` file if any shell
// (here, on the remote host or in the container) evaluated it; the project
// must spawn normally, arrive intact as the workspace folder, and nothing
// named pwned-* may appear anywhere.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { EngineClient } from '../../src/engine/index.js';
import { STACK_TRACE, createSandbox, type Sandbox } from '../helpers/pks-cli.js';
import { containerExec, engineFor, removeProjectResources, testRoot, type Where } from '../helpers/projects.js';
import { loadTestEnv } from '../helpers/test-env.js';

const run = promisify(execFile);
const env = loadTestEnv();
let sandbox: Sandbox;
let root: string;
let workdir: string;
const engines = new Map<Where, EngineClient>();
const spawned: Array<{ where: Where; dir: string }> = [];

// `cd` with no argument goes to $HOME, so the markers need no "/" (which a folder name cannot hold).
const NAMES = [
  `space 'single' "double"`,
  '$(cd;touch pwned-dollar)',
  '`cd;touch pwned-backtick`',
  'x;cd;touch pwned-semicolon;#',
  'a&&cd&&touch pwned-and|cat',
  `';cd;touch pwned-quote;'`,
  'line one\n$(cd;touch pwned-newline)',
  '$HOME*?[x] ${IFS}',
  '-rf --help',
  'ünïcødé-項目-✓ 🚀',
];

before(async () => {
  root = await testRoot('pks-hostile-');
  workdir = path.join(root, 'cwd');
  await mkdir(workdir);
  sandbox = await createSandbox({ knownHosts: env.knownHosts });
  const added = await sandbox.run(['remote', 'add', 'r1', '--host', env.r1.host, '--user', env.r1.user, '--key', env.r1.key, '--no-test']);
  assert.equal(added.code, 0, added.stderr);
  for (const where of ['local', 'r1'] as const) engines.set(where, await engineFor(env, where));
});

after(async () => {
  for (const { where, dir } of spawned) await removeProjectResources(engine(where), dir);
  for (const client of engines.values()) await client.close();
  await sandbox.cleanup();
  await rm(root, { recursive: true, force: true });
});

function engine(where: Where): EngineClient {
  const client = engines.get(where);
  if (client === undefined) throw new Error(`no engine for ${where}`);
  return client;
}

/** A project folder named `name`, whose hooks record where they ran (exec form: no shell of pks's). */
async function hostileProject(name: string, index: number): Promise<{ dir: string; initPwd: string }> {
  const parent = path.join(root, `p${index}`);
  const dir = path.join(parent, name);
  const initPwd = path.join(root, `init-pwd-${index}`);
  await mkdir(path.join(dir, '.devcontainer'), { recursive: true });
  await writeFile(path.join(dir, 'file.txt'), `content of ${name}\n`);
  await run('git', ['init', '-q', '--', dir]);
  await writeFile(
    path.join(dir, '.devcontainer', 'devcontainer.json'),
    JSON.stringify({
      image: env.images.busybox,
      initializeCommand: ['sh', '-c', 'pwd > "$1"', 'init', initPwd],
      postCreateCommand: ['sh', '-c', 'pwd > /tmp/pks-post-create-pwd'],
    }),
  );
  return { dir, initPwd };
}

/** Every pwned-* under `deep` (recursively) and directly in `shallow`. */
async function pwnedFiles(deep: string[], shallow: string[]): Promise<string[]> {
  const found: string[] = [];
  const scan = async (dir: string, recursive: boolean): Promise<void> => {
    const entries = await readdir(dir, { recursive });
    found.push(...entries.filter((entry) => path.basename(entry).startsWith('pwned-')).map((entry) => path.join(dir, entry)));
  };
  for (const dir of deep) await scan(dir, true);
  for (const dir of shallow) await scan(dir, false);
  return found;
}

interface Outcome {
  containerId: string;
  containerName: string;
  remoteWorkspaceFolder: string;
}

async function checkName(name: string, index: number, where: Where, extra: string[] = [], projectName = name): Promise<void> {
  const { dir, initPwd } = await hostileProject(name, index);
  spawned.push({ where, dir });
  const remote = where === 'local' ? [] : ['--remote', where];
  const result = await sandbox.run(['devcontainer', 'spawn', dir, '--format', 'json', ...remote, ...extra], {
    cwd: workdir,
    env: { DOCKER_HOST: `unix://${env.localSocket}` },
    timeoutMs: 180_000,
  });
  assert.equal(result.code, 0, `spawn ${JSON.stringify(name)}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, STACK_TRACE);
  const outcome = JSON.parse(result.stdout) as Outcome;
  const folder = `/workspaces/${projectName}`;
  assert.equal(outcome.remoteWorkspaceFolder, folder, 'the name arrives intact as the workspace folder');

  const client = engine(where);
  const read = async (file: string): Promise<string> => {
    const out = await containerExec(client, outcome.containerId, ['cat', file]);
    assert.equal(out.exitCode, 0, `cat ${file}: ${out.stderr}`);
    return out.stdout;
  };
  assert.equal(await read(`${folder}/file.txt`), `content of ${name}\n`, 'the workspace holds the project');
  assert.equal(await read('/tmp/pks-post-create-pwd'), `${folder}\n`, 'postCreateCommand ran in the workspace folder');
  assert.equal(await readFile(initPwd, 'utf8'), `${dir}\n`, 'initializeCommand ran in the project folder');

  const exec = await sandbox.run(['devcontainer', 'exec', ...remote, outcome.containerName, '--', 'pwd'], { env: { DOCKER_HOST: `unix://${env.localSocket}` } });
  assert.equal(exec.code, 0, exec.stderr);
  assert.equal(exec.stdout, `${folder}\n`, 'exec runs in the workspace folder');
  const listed = await sandbox.run(['devcontainer', 'list', ...remote, '--format', 'json'], { env: { DOCKER_HOST: `unix://${env.localSocket}` } });
  const mine = (JSON.parse(listed.stdout) as Array<{ project: string; containerId: string }>).find((c) => c.containerId === outcome.containerId);
  assert.equal(mine?.project, projectName, 'the project name is listed as given');

  const inContainer = await containerExec(client, outcome.containerId, ['find', '/', '-path', '/proc', '-prune', '-o', '-path', '/sys', '-prune', '-o', '-name', 'pwned-*', '-print']);
  assert.equal(inContainer.stdout, '', 'nothing created in the container');
}

describe('security: hostile project names and paths never reach a shell', { concurrency: 4 }, () => {
  NAMES.forEach((name, index) => {
    it(`local: ${JSON.stringify(name)}`, { timeout: 240_000 }, () => checkName(name, index, 'local'));
  });
  it('on a remote host: a name with $(...), backticks, quotes and a newline', { timeout: 240_000 }, () =>
    checkName(`r1 '$(cd;touch pwned-r1)' \`cd;touch pwned-r1b\`\n;cd;touch pwned-r1c`, 100, 'r1'),
  );
  it('a hostile --name', { timeout: 240_000 }, () => checkName('plain-folder', 101, 'local', ['--name', '"$(cd;touch pwned-name)";`cd;touch pwned-name2`'], '"$(cd;touch pwned-name)";`cd;touch pwned-name2`'));
});

describe('security: nothing a hostile name would create exists on this machine', () => {
  it('no pwned-* in the sandbox HOME, the projects, the working directory, /tmp, /root or the remote user\'s home', async () => {
    // The remote hosts are network namespaces of this machine: their users' homes are here.
    const found = await pwnedFiles([sandbox.home, root], [os.tmpdir(), '/root', `/home/${env.r1.user}`, process.cwd()]);
    assert.deepEqual(found, []);
  });
});
