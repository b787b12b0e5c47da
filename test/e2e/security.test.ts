// Security checks, part 1: pks's files are private whatever the umask, a host
// key that does not match known_hosts is refused by every command (even with
// --accept-new-host-key), and the source keeps processes (and so any docker
// CLI) out of every layer but the CLI's. Secrets in output:
// security-secrets.test.ts; hostile project names: security-names.test.ts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { EngineClient } from '../../src/engine/index.js';
import { snapshotTree, validHostsFile } from '../helpers/bad-input.js';
import { STACK_TRACE, createSandbox, type Sandbox } from '../helpers/pks-cli.js';
import { createProject, engineFor, leftovers, removeProjectResources, type Project } from '../helpers/projects.js';
import { processSpawnsIn, sourceFiles } from '../helpers/source-scan.js';
import { loadTestEnv } from '../helpers/test-env.js';
import { createDevcontainer, removeDevcontainerFixture, type FakeDevcontainer } from '../integration/lifecycle-fixtures.js';

const exec = promisify(execFile);
const env = loadTestEnv();
const sandboxes: Sandbox[] = [];
const projects: Project[] = [];
const fakes: FakeDevcontainer[] = [];
let r1: EngineClient;
let scratch: string;
let previousUmask: number;

before(async () => {
  // The loosest umask: every file and directory pks creates must set its own mode.
  previousUmask = process.umask(0o000);
  r1 = await engineFor(env, 'r1');
  scratch = await mkdtemp(path.join(os.tmpdir(), 'pks-security-'));
});

after(async () => {
  process.umask(previousUmask);
  for (const fake of fakes) await removeDevcontainerFixture(r1, fake);
  for (const project of projects) {
    await removeProjectResources(r1, project.dir);
    await project.cleanup();
  }
  await r1.close();
  await Promise.all(sandboxes.map((s) => s.cleanup()));
  await rm(scratch, { recursive: true, force: true });
});

async function sandbox(knownHosts?: string): Promise<Sandbox> {
  const s = await createSandbox(knownHosts === undefined ? {} : { knownHosts });
  sandboxes.push(s);
  return s;
}

async function mode(file: string): Promise<string> {
  return ((await stat(file)).mode & 0o777).toString(8).padStart(4, '0');
}

const addR1 = (id = 'r1', extra: string[] = []) => ['remote', 'add', id, '--host', env.r1.host, '--user', env.r1.user, '--key', env.r1.key, ...extra];

describe('security: file modes', () => {
  it('~/.pks is 0700 and remote-hosts.json and known_hosts are 0600 after remote add, under umask 000', async () => {
    const s = await sandbox(); // no known_hosts: the accepted key goes to ~/.pks/known_hosts
    const added = await s.run(addR1('r1', ['--accept-new-host-key']));
    assert.equal(added.code, 0, added.stderr);
    assert.equal(await mode(s.pksHome), '0700');
    assert.equal(await mode(path.join(s.pksHome, 'remote-hosts.json')), '0600');
    assert.equal(await mode(path.join(s.pksHome, 'known_hosts')), '0600');
  });

  it('a ~/.pks of the user\'s that others can read keeps its mode (pks did not create it); the files in it are 0600', async () => {
    const s = await sandbox();
    await mkdir(s.pksHome, { mode: 0o755 });
    const added = await s.run(['remote', 'add', 'elsewhere', '--host', 'elsewhere.example.test', '--no-test']);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(await mode(s.pksHome), '0755');
    assert.equal(await mode(path.join(s.pksHome, 'remote-hosts.json')), '0600');
  });

  it('connect leaves ~/.pks/ssh_config and ~/.ssh/config 0600 (and ~/.ssh 0700)', async () => {
    const s = await sandbox(env.knownHosts);
    assert.equal((await s.run(addR1('r1', ['--no-test']))).code, 0);
    const fake = await createDevcontainer(r1, { image: env.images.busybox, host: 'r1' });
    fakes.push(fake);
    const connected = await s.run(['devcontainer', 'connect', fake.project, '--remote', 'r1', '--print-uri', '--yes']);
    assert.equal(connected.code, 0, connected.stderr);
    assert.match(connected.stdout, /^vscode-remote:\/\//);
    assert.equal(await mode(s.pksHome), '0700');
    assert.equal(await mode(path.join(s.pksHome, 'ssh_config')), '0600');
    assert.equal(await mode(path.join(s.pksHome, 'remote-hosts.json')), '0600');
    assert.equal(await mode(path.join(s.home, '.ssh', 'config')), '0600');
    assert.equal(await mode(path.join(s.home, '.ssh')), '0700');
    assert.match(await readFile(path.join(s.home, '.ssh', 'config'), 'utf8'), /^# Added by pks[^\n]*\nInclude \S+ssh_config\n/);
  });
});

/** The test environment's known_hosts with r1's key replaced by another ed25519 key. */
async function knownHostsWithChangedR1(): Promise<string> {
  const keyFile = path.join(scratch, `other-${Math.random().toString(16).slice(2)}`);
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
  const otherKey = (await readFile(`${keyFile}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
  const lines = (await readFile(env.knownHosts, 'utf8')).split('\n').filter((line) => line !== '' && !line.startsWith(`${env.r1.host} `));
  return [`${env.r1.host} ${otherKey}`, ...lines, ''].join('\n');
}

const CHANGED = new RegExp(`REMOTE HOST IDENTIFICATION HAS CHANGED for ${env.r1.host.replace(/\./g, '\\.')}:22[\\s\\S]*Refusing to connect`);

describe('security: a host key mismatch is always refused', () => {
  it('by every command that reaches the host, --accept-new-host-key or not, changing nothing', async () => {
    const s = await sandbox();
    await writeFile(path.join(s.home, '.ssh', 'known_hosts'), await knownHostsWithChangedR1(), { mode: 0o600 });
    await mkdir(s.pksHome, { mode: 0o700 });
    await writeFile(path.join(s.pksHome, 'remote-hosts.json'), validHostsFile(env), { mode: 0o600 });
    const project = await createProject({ '.devcontainer/devcontainer.json': JSON.stringify({ image: env.images.busybox }) }, { git: false });
    projects.push(project);
    const before = await snapshotTree(path.dirname(s.home));
    const commands: string[][] = [
      addR1('r9', ['--accept-new-host-key']),
      ['remote', 'test', 'r1', '--accept-new-host-key'],
      ['remote', 'test', 'r1', '--format', 'json'],
      ['devcontainer', 'spawn', project.dir, '--remote', 'r1'],
      ['devcontainer', 'list', '--remote', 'r1', '--verbose'],
      ['devcontainer', 'exec', '--remote', 'r1', 'anything', '--', 'true'],
      ['devcontainer', 'connect', 'anything', '--remote', 'r1', '--print-uri'],
    ];
    for (const args of commands) {
      const result = await s.run(args);
      const output = `${args.join(' ')}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
      assert.equal(result.code, 1, output);
      assert.match(result.stdout + result.stderr, CHANGED, output);
      assert.doesNotMatch(result.stdout + result.stderr, STACK_TRACE, output);
    }
    // Every other host is still listed; the changed one is an error and the exit code says so.
    const all = await s.run(['devcontainer', 'list', '--all-remotes', '--format', 'json']);
    assert.equal(all.code, 1, all.stderr);
    assert.match(all.stderr, CHANGED);
    assert.ok(Array.isArray(JSON.parse(all.stdout)), all.stdout);
    // The names `list` saw on the hosts that answered are kept for shell
    // completion (~/.pks/cache/completion-*.json): a cache, not trust.
    const trust = (tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).filter(([file]) => !file.startsWith('pks/cache')));
    assert.deepEqual(trust(await snapshotTree(path.dirname(s.home))), trust(before), 'known_hosts, the hosts file and ~/.pks unchanged');
    assert.equal(Object.keys(await snapshotTree(path.dirname(s.home))).some((file) => file.startsWith('pks/cache/completion-r1')), false, 'nothing cached for the refused host');
    assert.deepEqual(await leftovers(r1, project.dir), { containers: [], volumes: [] });
  });

  it('when the mismatching entry is hashed', async () => {
    const s = await sandbox();
    const file = path.join(s.home, '.ssh', 'known_hosts');
    await writeFile(file, await knownHostsWithChangedR1(), { mode: 0o600 });
    await exec('ssh-keygen', ['-q', '-H', '-f', file]);
    await rm(`${file}.old`, { force: true });
    assert.doesNotMatch(await readFile(file, 'utf8'), new RegExp(env.r1.host.replace(/\./g, '\\.')), 'hashed');
    const hashed = await readFile(file, 'utf8');
    const result = await s.run(addR1('r1', ['--accept-new-host-key']));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, CHANGED);
    assert.equal(await readFile(file, 'utf8'), hashed);
    await assert.rejects(stat(path.join(s.pksHome, 'known_hosts')), 'the presented key was not recorded anywhere');
  });

  it('when the mismatching entry is in pks\'s own ~/.pks/known_hosts', async () => {
    const s = await sandbox(); // ~/.ssh/known_hosts absent
    await mkdir(s.pksHome, { mode: 0o700 });
    const file = path.join(s.pksHome, 'known_hosts');
    const changed = await knownHostsWithChangedR1();
    await writeFile(file, changed, { mode: 0o600 });
    const result = await s.run(addR1('r1', ['--accept-new-host-key']));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, CHANGED);
    assert.equal(await readFile(file, 'utf8'), changed, 'no second key appended next to the old one');
    await assert.rejects(stat(path.join(s.pksHome, 'remote-hosts.json')));
  });

  it('when the host\'s real key is marked @revoked', async () => {
    const s = await sandbox();
    const real = (await readFile(env.knownHosts, 'utf8')).split('\n').find((line) => line.startsWith(`${env.r1.host} `)) ?? '';
    await writeFile(path.join(s.home, '.ssh', 'known_hosts'), `@revoked ${real}\n${real}\n`, { mode: 0o600 });
    const result = await s.run(addR1('r1', ['--accept-new-host-key']));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /is marked @revoked in \S+known_hosts:1\. Refusing to connect/);
  });
});

describe('security: the source', () => {
  it('child_process is imported only under src/cli/ and src/process/', async () => {
    const importers = (await sourceFiles()).filter((file) => file.importsChildProcess).map((file) => file.path);
    assert.ok(importers.length > 0, 'the scan finds the CLI\'s own imports');
    for (const file of importers) assert.match(file, /^src\/(cli|process)\//, `${file} imports child_process`);
  });

  it('the docker CLI is started only by its two adapters: BuildKit builds and Compose', async () => {
    // Everything else speaks the Engine API itself (README, Architecture).
    const adapters = ['src/process/compose-cli.ts', 'src/process/docker-cli.ts'];
    const spawns = (await sourceFiles()).flatMap(processSpawnsIn);
    assert.ok(spawns.some((call) => call.command === "'git'"), 'the scan sees the git calls');
    for (const call of spawns.filter((c) => !adapters.includes(c.file))) {
      assert.doesNotMatch(call.command, /(^|[\s/'"`])docker(\.exe)?($|[\s'"`])/, `${call.file}: ${call.text}`);
    }
    // A command that is not a literal was checked by hand; a new one must be too.
    const dynamic = spawns.filter((call) => !/^['"`]/.test(call.command)).map((call) => `${call.file}: ${call.command}`).sort();
    assert.deepEqual(dynamic, [
      'src/cli/editor.ts: binary', // the editor found on PATH: code, code-insiders, cursor or windsurf (connect, spawn)
      'src/process/compose-cli.ts: command', // `docker compose` or `docker-compose`, probed for its version
      'src/process/compose-cli.ts: d.executable ?? command', // that Compose, run with pks's DOCKER_HOST (an argv)
      'src/process/docker-cli.ts: file', // a docker CLI probed for BuildKit (--version, buildx version)
      'src/process/docker-cli.ts: file', // that CLI running a BuildKit build with pks's DOCKER_HOST (an argv)
      'src/process/holder-launch.ts: command', // this very pks (node and its own entry) started again as the warm-connection holder
      'src/process/holder-launch.ts: command', // the same, in the background after a command that connected directly
      'src/process/run-command.ts: command', // argv[0] of the user's own initializeCommand
    ]);
    // And no docker binary appears as a string anywhere else a process could be started from.
    for (const file of (await sourceFiles()).filter((f) => f.importsChildProcess && !adapters.includes(f.path))) {
      assert.doesNotMatch(file.stringLiterals.join('\n'), /(^|\n|\/)docker(\.exe)?(\n|$| )/, file.path);
    }
  });
});
