// What shell completion offers for container arguments on a host it must not
// contact per keystroke: the names `pks devcontainer list` last saw there,
// in ~/.pks/cache/completion-<host>.json (0600, written atomically). Losing
// the file loses nothing but suggestions, so reading it never fails.

import path from 'node:path';
import * as z from '../common/zod-mini.js';
import { REMOTE_ID_PATTERN } from '../common/defaults.js';
import { ensurePrivateDir, writeFileAtomic } from './files.js';
import { pksHome } from './remote-host-store.js';
import { readUserFile } from './user-files.js';

const CACHE_VERSION = 1;
const MAX_CACHE_BYTES = 4 * 1024 * 1024;

const cacheSchema = z.object({
  version: z.literal(CACHE_VERSION),
  writtenAt: z.string(),
  /** Container names and project names, as the commands accept them. */
  names: z.array(z.string()),
});

export function completionCacheFile(env: NodeJS.ProcessEnv, host: string): string | undefined {
  // The host id is part of a file name: only ids as the registry allows them (and `local`).
  if (!REMOTE_ID_PATTERN.test(host)) return undefined;
  return path.join(pksHome(env), 'cache', `completion-${host}.json`);
}

export async function writeCompletionCache(env: NodeJS.ProcessEnv, host: string, names: readonly string[], now: Date = new Date()): Promise<void> {
  const file = completionCacheFile(env, host);
  if (file === undefined) return;
  await ensurePrivateDir(path.dirname(file));
  const content = { version: CACHE_VERSION, writtenAt: now.toISOString(), names: [...new Set(names)].sort() };
  await writeFileAtomic(file, `${JSON.stringify(content)}\n`);
}

/** The names last cached for `host`; none when there is no usable cache. */
export async function readCompletionCache(env: NodeJS.ProcessEnv, host: string): Promise<string[]> {
  const file = completionCacheFile(env, host);
  if (file === undefined) return [];
  const read = await readUserFile(file, MAX_CACHE_BYTES);
  if (read.kind !== 'file') return [];
  try {
    const parsed = cacheSchema.safeParse(JSON.parse(read.data.toString('utf8')));
    return parsed.success ? parsed.data.names : [];
  } catch {
    return [];
  }
}
