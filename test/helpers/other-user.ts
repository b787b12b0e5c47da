// A second local user for tests of shared hosts: a real Unix account (in the
// docker group, with its own HOME, ~/.ssh and PKS_HOME) that runs the built
// `pks` through runuser, so pks takes the name from the account as it does
// for anyone. Created with a unique name and deleted at clean-up.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { SANDBOX_PERSISTENCE, pksBin, runProcess, type PksResult } from './pks-cli.js';
import { inTerminal, shellQuote, type Terminal } from './terminal.js';
import { testRoot, type Where } from './projects.js';
import type { TestEnv } from './test-env.js';

export type { Terminal };

const run = promisify(execFile);

export interface OtherUser {
  name: string;
  home: string;
  run(args: string[], options?: { timeoutMs?: number }): Promise<PksResult>;
  /** Runs pks in a pseudo-terminal (util-linux `script`): what the user types goes through write(). */
  terminal(args: string[], timeoutMs?: number): Terminal;
  /** Makes `dir` (and what is in it) the user's. */
  own(dir: string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function createOtherUser(env: TestEnv, remotes: ReadonlyArray<Exclude<Where, 'local'>>): Promise<OtherUser> {
  const name = `pkso${randomBytes(4).toString('hex')}`;
  const home = await testRoot('pks-e2e-user-');
  const ssh = path.join(home, '.ssh');
  await mkdir(ssh, { mode: 0o700 });
  await copyFile(env.knownHosts, path.join(ssh, 'known_hosts'));
  for (const where of remotes) {
    await copyFile(env[where].key, path.join(ssh, `${where}_ed25519`));
    await chmod(path.join(ssh, `${where}_ed25519`), 0o600);
  }
  await run('useradd', ['-M', '-N', '-d', home, '-G', 'docker', '-s', '/usr/sbin/nologin', name]);
  const own = async (dir: string): Promise<void> => {
    await run('chown', ['-R', name, dir]);
  };
  await own(home);
  const user: OtherUser = {
    name,
    home,
    own,
    run: (args, options = {}) =>
      runProcess(runuserArgv(name, home, args), { env: { PATH: process.env.PATH }, cwd: home, timeoutMs: options.timeoutMs ?? 60_000 }, `pks ${args.join(' ')} as ${name}`),
    terminal: (args, timeoutMs) =>
      inTerminal(runuserArgv(name, home, args).map(shellQuote).join(' '), { env: { PATH: process.env.PATH, TERM: 'dumb' }, cwd: home, ...(timeoutMs === undefined ? {} : { timeoutMs }) }),
    async cleanup() {
      await run('userdel', [name]).catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    },
  };
  for (const where of remotes) {
    const host = env[where];
    const added = await user.run(['remote', 'add', where, '--host', host.host, '--user', host.user, '--key', path.join(ssh, `${where}_ed25519`), '--no-test']);
    if (added.code !== 0) throw new Error(`remote add ${where} as ${name}: ${added.stderr}`);
  }
  return user;
}

/** runuser sets USER, LOGNAME and a HOME from the account; env points HOME and PKS_HOME at the sandbox. */
function runuserArgv(name: string, home: string, args: string[]): string[] {
  return ['runuser', '-u', name, '--', 'env', `HOME=${home}`, `PKS_HOME=${path.join(home, '.pks')}`, ...Object.entries(SANDBOX_PERSISTENCE).map(([name, value]) => `${name}=${value}`), process.execPath, pksBin, ...args];
}
