// A private world for one benchmark run: a temporary HOME whose ~/.ssh/config
// and known_hosts serve both pks and OpenSSH (for the docker CLI), PKS_HOMEs
// with remote hosts registered, a run id that names everything the run creates,
// and a sweep that removes all of it from the engines afterwards.

import { randomBytes } from 'node:crypto';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadTestEnv, type RemoteHostEnv, type TestEnv } from '../../test/helpers/test-env.js';
import { mustSucceed, pksBin, runTimed } from './runner.js';

export interface BenchHome {
  testEnv: TestEnv;
  /** Unique per run: every project, container and volume the run creates has it in its name. */
  runId: string;
  root: string;
  home: string;
  sshConfig: string;
  knownHosts: string;
  /** PATH (with the `ssh` wrapper first), HOME and USER only: nothing inherited from the caller. */
  base: NodeJS.ProcessEnv;
  /** A PKS_HOME named `name` with these `pks remote add` argument lists (id first) registered. */
  pksHome(name: string, remotes: ReadonlyArray<readonly string[]>): Promise<NodeJS.ProcessEnv>;
  addSshHostBlock(block: string): Promise<void>;
  addKnownHost(line: string): Promise<void>;
  /** Removes the temporary files and every container and volume named with the run id. */
  cleanup(): Promise<void>;
}

const hostBlock = (host: RemoteHostEnv): string => `Host ${host.host}\n  User ${host.user}\n  Port ${host.port}\n  IdentityFile ${host.key}\n  IdentitiesOnly yes\n  BatchMode yes\n`;

export async function createBenchHome(label: string): Promise<BenchHome> {
  const testEnv = loadTestEnv();
  const runId = `pksb${randomBytes(3).toString('hex')}`;
  const root = await mkdtemp(path.join(os.tmpdir(), `pks-bench-${label}-`));
  const home = path.join(root, 'home');
  const sshDir = path.join(home, '.ssh');
  await mkdir(sshDir, { recursive: true, mode: 0o700 });
  const knownHosts = path.join(sshDir, 'known_hosts');
  await copyFile(testEnv.knownHosts, knownHosts);
  // Both hosts, then a catch-all for what every host shares (more blocks go before it: see addSshHostBlock).
  const sshConfig = path.join(sshDir, 'config');
  await writeFile(sshConfig, `${hostBlock(testEnv.r1)}${hostBlock(testEnv.r2)}Host *\n  UserKnownHostsFile ${knownHosts}\n`, { mode: 0o600 });
  // OpenSSH finds ~/.ssh through the password database, not $HOME: a wrapper
  // first in PATH (the docker CLI runs plain `ssh`) points it at this config.
  const bin = path.join(root, 'bin');
  await mkdir(bin);
  await writeFile(path.join(bin, 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${sshConfig} "$@"\n`, { mode: 0o755 });
  // No NODE_OPTIONS, NODE_EXTRA_CA_CERTS (~50 ms of every Node start here) or DOCKER_HOST from the caller.
  const base: NodeJS.ProcessEnv = { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: home, USER: 'pks-bench' };

  return {
    testEnv,
    runId,
    root,
    home,
    sshConfig,
    knownHosts,
    base,
    async pksHome(name, remotes) {
      const env = { ...base, PKS_HOME: path.join(root, name) };
      for (const args of remotes) {
        // As a user registers a host: `remote add` checks it and records its capabilities.
        await mustSucceed(`remote add ${args[0] ?? ''}`, runTimed([process.execPath, pksBin, 'remote', 'add', ...args], { env }));
      }
      return env;
    },
    async addSshHostBlock(block) {
      // ssh_config takes the first value it meets: new blocks go before `Host *`.
      const text = await readFile(sshConfig, 'utf8');
      const at = text.indexOf('Host *\n');
      await writeFile(sshConfig, `${text.slice(0, at)}${block}${text.slice(at)}`, { mode: 0o600 });
    },
    async addKnownHost(line) {
      await appendFile(knownHosts, `${line}\n`);
    },
    async cleanup() {
      await sweepEngines(testEnv, runId);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Local and remote engines, reached directly through their sockets on this machine. */
export function engineSockets(testEnv: TestEnv): string[] {
  return [testEnv.localSocket, testEnv.r1.engineSocket, testEnv.r2.engineSocket];
}

/** Removes every container and volume whose name contains `runId` from every test engine. */
export async function sweepEngines(testEnv: TestEnv, runId: string): Promise<void> {
  for (const socket of engineSockets(testEnv)) {
    const docker = (...args: string[]) => runTimed(['docker', '-H', `unix://${socket}`, ...args], { env: { PATH: process.env.PATH } });
    const containers = (await docker('ps', '-aq', '--filter', `name=${runId}`)).stdout.split('\n').filter(Boolean);
    // The reference CLI names containers itself; its label holds our project folder, which has the run id.
    const reference = (await docker('ps', '-a', '--format', '{{.ID}} {{.Label "devcontainer.local_folder"}}')).stdout
      .split('\n')
      .filter((line) => line.includes(runId))
      .map((line) => line.split(' ')[0] ?? '');
    const ids = [...new Set([...containers, ...reference])].filter(Boolean);
    if (ids.length > 0) await docker('rm', '-f', '-v', ...ids);
    const volumes = (await docker('volume', 'ls', '-q', '--filter', `name=${runId}`)).stdout.split('\n').filter(Boolean);
    if (volumes.length > 0) await docker('volume', 'rm', '-f', ...volumes);
  }
}
