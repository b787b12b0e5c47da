// Warm-connection holder processes as tests see them: found through /proc by
// the PKS_HOME in their environment, so each test sees only its own.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { helloOf } from '../../src/engine/index.js';
import { waitFor } from './wait.js';

/** The pids of holder processes whose PKS_HOME is `pksHome`. */
export async function holdersOf(pksHome: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('__pks-holder')) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(`PKS_HOME=${pksHome}`)) pids.push(Number(entry));
  }
  return pids;
}

/** Whether a process still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The holders of `pksHome` once they have settled: a command that found no
 * holder starts one in the background as it ends, so right after it the
 * holder may still be logging in (and racing starters may not yet have
 * ended). Waits until every holder process answers on a control socket.
 */
export async function settledHolders(pksHome: string, timeoutMs = 20_000): Promise<number[]> {
  let pids: number[] = [];
  await waitFor(
    async () => {
      pids = await holdersOf(pksHome);
      const dir = path.join(pksHome, 'run');
      const controls = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.ctl'));
      const answering = (await Promise.all(controls.map((name) => helloOf(path.join(dir, name))))).flatMap((hello) => (hello === undefined ? [] : [hello.pid]));
      return pids.every((pid) => answering.includes(pid));
    },
    { timeoutMs, message: 'the holders started in the background answer' },
  );
  return pids;
}
