// What each Feature reference last resolved to (~/.pks/cache/feature-refs,
// one small JSON file per reference, named by a hash of it): the fallback
// when its registry or server cannot be reached, and what makes the next
// download of a tarball conditional.

import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../common/errors.js';
import { writeFileAtomic } from '../store/files.js';

export interface RememberedRefs {
  /** The JSON stored for `key`; undefined when there is none or it is not JSON. */
  read(key: string): Promise<unknown>;
  write(key: string, entry: object): Promise<void>;
}

/** The store beside the Feature cache folder `cacheDir`. */
export function rememberedRefs(cacheDir: string): RememberedRefs {
  const dir = path.join(path.dirname(cacheDir), 'feature-refs');
  const file = (key: string): string => path.join(dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  return {
    async read(key) {
      let text: string;
      try {
        text = await readFile(file(key), 'utf8');
      } catch (error) {
        if (systemErrorCode(error) === 'ENOENT') return undefined;
        throw error;
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    },
    async write(key, entry) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(file(key), `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    },
  };
}
