// The forwards in force on this machine: each running `forward` (and `shell`
// or `connect` while they forward) writes <PKS_HOME>/run/forwards/<pid>.json
// (0600, in a 0700 folder) and removes it when it ends. An entry whose process
// is gone (killed before it could clean up) is ignored, and removed when
// the registry is read.

import { readFile, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import * as z from '../common/zod-mini.js';
import { ensurePrivateDir, writeFileAtomic } from './files.js';
import { pksHome } from './remote-host-store.js';

const forwardSchema = z.object({
  localPort: z.number(),
  containerPort: z.number(),
  label: z.string(),
});

const entrySchema = z.object({
  version: z.literal(1),
  pid: z.number(),
  hostId: z.string(),
  containerId: z.string(),
  containerName: z.string(),
  address: z.string(),
  startedAt: z.string(),
  forwards: z.array(forwardSchema),
});

export type RegisteredForward = z.infer<typeof forwardSchema>;
export type ForwardEntry = z.infer<typeof entrySchema>;

export function forwardRegistryDir(env: NodeJS.ProcessEnv): string {
  return path.join(pksHome(env), 'run', 'forwards');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another user's process (a reused pid).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Records this process's forwards; returns the function that removes the entry again. */
export async function registerForwards(env: NodeJS.ProcessEnv, entry: Omit<ForwardEntry, 'version' | 'pid' | 'startedAt'>): Promise<() => Promise<void>> {
  const dir = forwardRegistryDir(env);
  await ensurePrivateDir(dir);
  const file = path.join(dir, `${process.pid}.json`);
  const full: ForwardEntry = { version: 1, pid: process.pid, startedAt: new Date().toISOString(), ...entry };
  await writeFileAtomic(file, `${JSON.stringify(full)}\n`, { mode: 0o600 });
  return () => unlink(file).catch(() => undefined);
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The entries of running processes; unreadable or malformed files are skipped, stale ones removed. */
export async function activeForwards(env: NodeJS.ProcessEnv): Promise<ForwardEntry[]> {
  const dir = forwardRegistryDir(env);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => /^\d+\.json$/.test(name));
  } catch {
    return [];
  }
  const entries = await Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name);
      const parsed = entrySchema.safeParse(await readJson(file));
      if (!parsed.success || `${parsed.data.pid}.json` !== name) return undefined;
      if (!isAlive(parsed.data.pid)) {
        await unlink(file).catch(() => undefined);
        return undefined;
      }
      return parsed.data;
    }),
  );
  return entries.filter((entry): entry is ForwardEntry => entry !== undefined);
}

/** One forward in force to a container, as `list --format json` and `inspect --format json` show it. */
export interface ForwardInForce extends RegisteredForward {
  /** The pks process that holds it. */
  pid: number;
}

/** The forwards in force to one container of one host. */
export function forwardsTo(entries: readonly ForwardEntry[], host: string, containerId: string): ForwardInForce[] {
  return entries
    .filter((entry) => entry.hostId === host && entry.containerId === containerId)
    .flatMap((entry) => entry.forwards.map((forward) => ({ ...forward, pid: entry.pid })));
}
