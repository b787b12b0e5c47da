// Wall time of `pks devcontainer list`, start to exit, side by side with a
// reference in the same run (see bench/README.md):
//   1. `list --remote r1`          vs  `docker -H ssh://pksdev@<r1> ps` (OpenSSH + docker CLI)
//   2. `list` on the local engine  vs  `node -e 0`
//   3. `list --all-remotes` with two registered hosts vs with one
// Variants run alternately, round by round, so machine noise hits them alike.
// Run: npm run build && node --import tsx bench/list.ts [--runs N]
// (PKS_BENCH_BIN=/path/to/bin/pks.js measures another build instead.)

import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadTestEnv, type RemoteHostEnv } from '../test/helpers/test-env.js';
import { alternate, comparisonTable, machineLine, median, mustSucceed, pksBin, runTimed, type Variant } from './lib/runner.js';

const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 10;
/** Another build to measure (a what-if experiment); default: this checkout's. */
const pksEntry = process.env.PKS_BENCH_BIN ?? pksBin;
const testEnv = loadTestEnv();
const root = await mkdtemp(path.join(os.tmpdir(), 'pks-bench-list-'));

try {
  // One HOME for every command: OpenSSH (for the docker CLI) and pks read the
  // same ~/.ssh/config and known_hosts, so both authenticate alike and both
  // check the host key.
  const home = path.join(root, 'home');
  const sshDir = path.join(home, '.ssh');
  await mkdir(sshDir, { recursive: true, mode: 0o700 });
  await copyFile(testEnv.knownHosts, path.join(sshDir, 'known_hosts'));
  const hostBlock = (host: RemoteHostEnv): string =>
    `Host ${host.host}\n  User ${host.user}\n  Port ${host.port}\n  IdentityFile ${host.key}\n  IdentitiesOnly yes\n  BatchMode yes\n`;
  await writeFile(
    path.join(sshDir, 'config'),
    `${hostBlock(testEnv.r1)}${hostBlock(testEnv.r2)}Host *\n  UserKnownHostsFile ${path.join(sshDir, 'known_hosts')}\n`,
    { mode: 0o600 },
  );
  // OpenSSH finds ~/.ssh through the password database, not $HOME: a wrapper
  // first in PATH (the docker CLI runs plain `ssh`) points it at this config.
  const bin = path.join(root, 'bin');
  await mkdir(bin);
  await writeFile(path.join(bin, 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${path.join(sshDir, 'config')} "$@"\n`, { mode: 0o755 });
  // No NODE_OPTIONS, NODE_EXTRA_CA_CERTS (~60 ms of Node's own start here) or DOCKER_HOST from the caller.
  const base: NodeJS.ProcessEnv = { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: home, USER: 'pks-bench' };

  /** A PKS_HOME with the given hosts registered by address only: user and key come from ~/.ssh/config. */
  const pksHomeWith = async (name: string, hosts: Array<[string, RemoteHostEnv]>): Promise<NodeJS.ProcessEnv> => {
    const env = { ...base, PKS_HOME: path.join(root, name) };
    for (const [id, host] of hosts) {
      await mustSucceed(`remote add ${id}`, runTimed([process.execPath, pksEntry, 'remote', 'add', id, '--host', host.host, '--no-test'], { env }));
    }
    return env;
  };
  const oneHost = await pksHomeWith('pks-one', [['r1', testEnv.r1]]);
  const twoHosts = await pksHomeWith('pks-two', [['r1', testEnv.r1], ['r2', testEnv.r2]]);

  const variant = (name: string, argv: string[], env: NodeJS.ProcessEnv): Variant => ({
    name,
    run: async () => (await mustSucceed(name, runTimed(argv, { env }))).ms,
  });
  const pks = (...args: string[]): string[] => [process.execPath, pksEntry, 'devcontainer', 'list', ...args];
  const variants: Variant[] = [
    variant('pks list --remote r1', pks('--remote', 'r1'), oneHost),
    variant('docker -H ssh:// ps', ['docker', '-H', `ssh://${testEnv.r1.user}@${testEnv.r1.host}`, 'ps'], base),
    variant('pks list (local)', pks(), oneHost),
    variant('node -e 0', [process.execPath, '-e', '0'], base),
    variant('docker ps (local)', ['docker', 'ps'], base),
    variant('pks list --all-remotes (1 host)', pks('--all-remotes'), oneHost),
    variant('pks list --all-remotes (2 hosts)', pks('--all-remotes'), twoHosts),
  ];
  // The shell here exports NODE_EXTRA_CA_CERTS, which every Node start pays
  // for (`node -e 0` included); measured both ways when the caller has it.
  const caCerts = process.env.NODE_EXTRA_CA_CERTS;
  if (caCerts !== undefined) {
    variants.push(
      variant('pks list (local, NODE_EXTRA_CA_CERTS)', pks(), { ...oneHost, NODE_EXTRA_CA_CERTS: caCerts }),
      variant('node -e 0 (NODE_EXTRA_CA_CERTS)', [process.execPath, '-e', '0'], { ...base, NODE_EXTRA_CA_CERTS: caCerts }),
    );
  }
  const samples = await alternate(variants, RUNS, 2);

  console.log(`${new Date().toISOString().slice(0, 10)}, ${machineLine()}; ${RUNS} runs each, alternating; wall time from spawn to exit\n`);
  console.log('| command | median | min | max |\n| --- | --- | --- | --- |');
  for (const { name } of variants) {
    const list = samples.get(name) ?? [];
    console.log(`| ${name} | ${median(list).toFixed(0)} ms | ${Math.min(...list).toFixed(0)} ms | ${Math.max(...list).toFixed(0)} ms |`);
  }
  console.log('');
  console.log(
    comparisonTable(samples, [
      { what: 'list on a remote host', ours: 'pks list --remote r1', reference: 'docker -H ssh:// ps', target: '≤ 1.0×', bound: 1.0 },
      { what: 'list on the local engine', ours: 'pks list (local)', reference: 'node -e 0', target: '≤ 3×', bound: 3 },
      ...(caCerts === undefined
        ? []
        : [{ what: 'list on the local engine, caller\'s NODE_EXTRA_CA_CERTS', ours: 'pks list (local, NODE_EXTRA_CA_CERTS)', reference: 'node -e 0 (NODE_EXTRA_CA_CERTS)', target: '≤ 3×', bound: 3 }]),
      { what: 'list --all-remotes, 2 hosts vs 1', ours: 'pks list --all-remotes (2 hosts)', reference: 'pks list --all-remotes (1 host)', target: '≤ 1.3×', bound: 1.3 },
    ]),
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
