// Warm-connection holder processes as tests see them: found through /proc by
// the PKS_HOME in their environment, so each test sees only its own.

import { readdir, readFile } from 'node:fs/promises';

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
