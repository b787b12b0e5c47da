// A throw-away local account (useradd) to run the built `pks` binary as a
// user who is not root: root reads every file, so "a file pks cannot read"
// needs someone else. Removed (userdel) at the end; its files are the test's.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp } from 'node:fs/promises';
import { promisify } from 'node:util';
import { SANDBOX_PERSISTENCE, pksBin, runProcess, type PksResult } from './pks-cli.js';
import { repoRoot } from './test-env.js';

const run = promisify(execFile);

export interface LocalUser {
  name: string;
  uid: number;
  gid: number;
  /** Runs `pks args` as this user (setpriv: its uid, its gid, no other group). */
  pks(args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<PksResult>;
  /** Copies `from` to `to` (a file or a whole folder), owned by this user. */
  give(from: string, to: string): Promise<void>;
  remove(): Promise<void>;
}

/** useradd, retried while another process holds the lock on /etc/passwd. */
async function useradd(name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await run('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name]);
      return;
    } catch (error) {
      if (attempt >= 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 300));
    }
  }
}

export async function createLocalUser(): Promise<LocalUser> {
  const name = `pksu${randomBytes(4).toString('hex')}`;
  await useradd(name);
  const uid = Number((await run('id', ['-u', name])).stdout.trim());
  const gid = Number((await run('id', ['-g', name])).stdout.trim());
  return {
    name,
    uid,
    gid,
    pks: (args, env, timeoutMs = 60_000) =>
      runProcess(
        ['setpriv', '--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--', process.execPath, pksBin, ...args],
        { env: { USER: name, ...SANDBOX_PERSISTENCE, ...env }, cwd: repoRoot, timeoutMs },
        `pks ${args.join(' ')} (as ${name})`,
      ),
    give: async (from, to) => {
      await cp(from, to, { recursive: true });
      await run('chown', ['-R', `${uid}:${gid}`, to]);
    },
    remove: async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await run('userdel', [name]);
          return;
        } catch (error) {
          if (attempt >= 30) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 300));
        }
      }
    },
  };
}
