// Shell completion as a user meets it: the built binary's hidden
// `pks __complete` answering for commands, options, remote ids and container
// names (the local engine asked directly, a remote host only through the cache
// `list` leaves), and the bash and fish scripts driving it in a real shell.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { LABELS } from '../../src/core/containers/labels.js';
import { pksBin, runPks } from '../helpers/pks-cli.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';
import { createDevcontainer, openHosts, removeDevcontainerFixture, uniqueName, type FakeDevcontainer, type Hosts } from '../integration/lifecycle-fixtures.js';

const exec = promisify(execFile);
let env: TestEnv;
let hosts: Hosts;
let local: FakeDevcontainer;
let unsafe: FakeDevcontainer;
let remote: FakeDevcontainer;

before(async () => {
  env = loadTestEnv();
  hosts = await openHosts(env);
  [local, unsafe, remote] = await Promise.all([
    createDevcontainer(hosts.local, { image: env.images.busybox, project: uniqueName('pkscompl'), start: false }),
    createDevcontainer(hosts.local, { image: env.images.busybox, project: uniqueName('pkscompu'), start: false, labels: { [LABELS.projectName]: 'pkscompu $(touch x);y' } }),
    createDevcontainer(hosts.r1, { image: env.images.busybox, project: uniqueName('pkscompr'), host: 'r1', start: false }),
  ]);
});

after(async () => {
  await Promise.all([removeDevcontainerFixture(hosts.local, local), removeDevcontainerFixture(hosts.local, unsafe), removeDevcontainerFixture(hosts.r1, remote)]);
  await hosts.cleanup();
});

async function complete(words: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const result = await runPks(['__complete', ...words], { ...hosts.env, ...extraEnv });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  return result.stdout.split('\n').filter((line) => line !== '');
}

describe('pks __complete', () => {
  it('completes commands, subcommands, options and option values', async () => {
    assert.deepEqual(await complete(['d']), ['devcontainer', 'doctor']);
    assert.deepEqual(await complete(['devcontainer', 'l']), ['list', 'logs']);
    assert.deepEqual(await complete(['dc', 're']), ['restart', 'rebuild']);
    assert.deepEqual(await complete(['remote', 'd']), ['default', 'disconnect']);
    assert.deepEqual(await complete(['dc', 'list', '--a']), ['--all-remotes', '--all', '--all-users']);
    assert.deepEqual(await complete(['dc', 'list', '--format', '']), ['table', 'json']);
    assert.deepEqual(await complete(['completion', '']), ['bash', 'zsh', 'fish']);
    // Hidden options (--verbose after a command) and the hidden command itself are not offered.
    assert.deepEqual(await complete(['dc', 'list', '--v']), []);
    assert.ok(!(await complete([''])).includes('__complete'));
  });

  it('completes remote ids from the hosts file, after --remote and as the argument of the remote verbs', async () => {
    assert.deepEqual(await complete(['dc', 'list', '--remote', '']), ['r1', 'r2', 'local']);
    assert.deepEqual(await complete(['dc', 'stop', '--remote', 'r']), ['r1', 'r2']);
    assert.deepEqual(await complete(['remote', 'test', '']), ['r1', 'r2']);
    assert.deepEqual(await complete(['remote', 'add', '']), [], 'a new id is not one of the registered ones');
  });

  it('completes local container and project names from the local engine, leaving out what a shell would read as syntax', async () => {
    assert.deepEqual(await complete(['dc', 'logs', local.project]), [local.project]);
    assert.deepEqual(await complete(['dc', 'logs', local.name.slice(0, -3)]), [local.name]);
    // The other one's project label holds spaces, `$(...)` and `;`: only its container name is offered.
    assert.deepEqual(await complete(['dc', 'logs', 'pkscompu']), []);
    assert.deepEqual(await complete(['dc', 'logs', unsafe.name]), [unsafe.name]);
    assert.deepEqual(await complete(['dc', 'exec', local.project.slice(0, -2)]), [local.project]);
    assert.deepEqual(await complete(['dc', 'logs', '--remote', 'local', local.name]), [local.name]);
  });

  it('completes a remote host\'s containers from the cache list writes, and never connects to the host to do so', async () => {
    assert.deepEqual(await complete(['dc', 'logs', '--remote', 'r1', remote.project]), [], 'nothing before a list');
    const listed = await runPks(['dc', 'list', '--all', '--remote', 'r1'], hosts.env);
    assert.equal(listed.code, 0, listed.stderr);
    const cache = path.join(hosts.env.PKS_HOME ?? '', 'cache', 'completion-r1.json');
    assert.equal((await stat(cache)).mode & 0o777, 0o600);
    assert.deepEqual(await complete(['dc', 'rm', '--remote', 'r1', remote.project]), [remote.project]);
    assert.deepEqual(await complete(['dc', 'rm', '--remote', 'r1', remote.name.slice(0, -3)]), [remote.name]);
    // The default remote chooses the cache too.
    assert.deepEqual(await complete(['dc', 'logs', remote.project], { PKS_REMOTE: 'r1' }), [remote.project]);

    // r1 now "lives" behind a loopback port that counts connections: completion must make none.
    let connections = 0;
    const server = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const hostsFile = path.join(hosts.env.PKS_HOME ?? '', 'remote-hosts.json');
    const original = await readFile(hostsFile, 'utf8');
    try {
      const registry = JSON.parse(original) as { hosts: Array<{ id: string; host: string; port?: number }> };
      const port = (server.address() as net.AddressInfo).port;
      registry.hosts = registry.hosts.map((h) => (h.id === 'r1' ? { ...h, host: '127.0.0.1', port } : h));
      await writeFile(hostsFile, JSON.stringify(registry));
      assert.deepEqual(await complete(['dc', 'shell', '--remote', 'r1', remote.project]), [remote.project]);
      assert.equal(connections, 0, 'completion connected to the remote host');
      // The check can fail: a command that does connect is counted.
      await runPks(['dc', 'list', '--remote', 'r1', '--log-format', 'json'], hosts.env);
      assert.ok(connections > 0);
    } finally {
      await writeFile(hostsFile, original);
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the completion scripts in their shells', () => {
  /** A folder with `pks` (the built binary) first on PATH, as an installed pks would be. */
  async function shellEnv(): Promise<NodeJS.ProcessEnv> {
    const bin = path.join(hosts.env.HOME ?? '', 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, 'pks'), `#!/bin/sh\nexec "${process.execPath}" "${pksBin}" "$@"\n`);
    await chmod(path.join(bin, 'pks'), 0o755);
    return { ...hosts.env, PATH: `${bin}:${hosts.env.PATH ?? ''}` };
  }

  it('bash: _pks_complete fills COMPREPLY from pks __complete', async () => {
    const shell = await shellEnv();
    const script = (await runPks(['completion', 'bash'], shell)).stdout;
    const { stdout } = await exec('bash', ['-c', `${script}\nCOMP_WORDS=(pks dc list --remote r); COMP_CWORD=4; _pks_complete; printf '%s\\n' "\${COMPREPLY[@]}"\nCOMP_WORDS=(pks devcontainer l); COMP_CWORD=2; _pks_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], { env: shell });
    assert.deepEqual(stdout.split('\n').filter(Boolean), ['r1', 'r2', 'list', 'logs']);
  });

  it('fish: complete -C offers what pks __complete answers', async () => {
    const shell = await shellEnv();
    const script = path.join(hosts.env.HOME ?? '', 'pks.fish');
    await writeFile(script, (await runPks(['completion', 'fish'], shell)).stdout);
    const { stdout } = await exec('fish', ['--no-config', '-c', `source ${script}; complete -C 'pks remote t'; complete -C 'pks dc logs ${local.project}'`], { env: shell });
    assert.deepEqual(stdout.split('\n').filter(Boolean), ['test', local.project]);
  });
});
