// Features referenced by the URL of a tarball (`https://host/devcontainer-feature-x.tgz`),
// as the spec allows: downloaded over http(s), its sha256 taken on the way,
// extracted with limits into the same cache as published Features (keyed by
// that digest, ~/.pks/cache/features), never through a symlink it holds. What
// each URL last gave (digest, ETag, Last-Modified) is remembered in
// ~/.pks/cache/feature-refs: the next download is conditional (304 → the
// cached folder), and a server that cannot be reached falls back to it, as a
// registry does for published Features.

import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import * as z from 'zod';
import { OperationError, errorMessage, systemErrorCode } from '../common/errors.js';
import { extractTar } from '../common/tar/tar-reader.js';
import { rememberedRefs } from './remembered-refs.js';
import type { TarballFeatureRef } from './feature-ref.js';
import { sendGet } from './oci/registry-client.js';

const MAX_REDIRECTS = 5;
/** A Feature is a few small files: these bound what an untrusted server can make pks store. */
export const TARBALL_LIMITS = { downloadBytes: 64 * 1024 ** 2, extractedBytes: 256 * 1024 ** 2, entries: 10_000 };

export interface DownloadedFeature {
  /** sha256 of the tarball as downloaded. */
  digest: string;
  /** The extracted Feature (devcontainer-feature.json, install.sh, ...). */
  folder: string;
  /** Set when the server could not be reached and this is what the URL gave then (ISO date). */
  cachedAt?: string;
}

const rememberedSchema = z.object({
  reference: z.string(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  at: z.string(),
});
type Remembered = z.infer<typeof rememberedSchema>;

function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Plain http to another machine: anyone on the way can change what is installed. */
export function isInsecureTarballUrl(ref: TarballFeatureRef): boolean {
  const url = new URL(ref.url);
  return url.protocol === 'http:' && !isLoopback(url);
}

function unreachable(url: URL, error: unknown): OperationError {
  return new OperationError('E_REGISTRY_UNREACHABLE', `Cannot reach ${url.host} for the Feature ${url.href}: ${errorMessage(error)}`, {
    hint: 'Check the network and the Feature\'s URL.',
    cause: error,
  });
}

/** GET with redirects (never from https down to plain http). */
async function get(start: URL, headers: OutgoingHttpHeaders): Promise<IncomingMessage> {
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let response: IncomingMessage;
    try {
      response = await sendGet(url, headers);
    } catch (error) {
      throw unreachable(url, error);
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status < 300 || status >= 400 || status === 304 || location === undefined) return response;
    response.resume();
    const next = new URL(location, url);
    if ((next.protocol !== 'https:' && next.protocol !== 'http:') || (url.protocol === 'https:' && next.protocol === 'http:')) {
      throw new OperationError('E_FEATURE_DOWNLOAD', `The Feature ${start.href} redirects to ${next.protocol} (${next.host}), which pks does not follow.`, {
        hint: 'Use the final https URL of the tarball.',
      });
    }
    url = next;
  }
  throw new OperationError('E_FEATURE_DOWNLOAD', `The Feature ${start.href} redirected more than ${MAX_REDIRECTS} times.`);
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await lstat(file)).isFile();
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT' || systemErrorCode(error) === 'ENOTDIR') return false;
    throw error;
  }
}

export function tarballFeatureDownloader(options: { cacheDir: string }): (ref: TarballFeatureRef) => Promise<DownloadedFeature> {
  const { cacheDir } = options;
  const refs = rememberedRefs(cacheDir);
  const keyOf = (ref: TarballFeatureRef): string => `tarball:${ref.url}`;
  const folderOf = (digest: string): string => path.join(cacheDir, digest.replace(':', '-'));

  /** What the URL gave last, if its files are still in the cache. */
  const remembered = async (ref: TarballFeatureRef): Promise<Remembered | undefined> => {
    const parsed = rememberedSchema.safeParse(await refs.read(keyOf(ref)));
    if (!parsed.success || parsed.data.reference !== ref.url) return undefined;
    return (await isFile(path.join(folderOf(parsed.data.digest), 'devcontainer-feature.json'))) ? parsed.data : undefined;
  };

  const remember = (ref: TarballFeatureRef, entry: Omit<Remembered, 'reference' | 'at'>): Promise<void> =>
    refs.write(keyOf(ref), { reference: ref.url, ...entry, at: new Date().toISOString() });

  /** Downloads and extracts into a temporary folder; its digest and the folder it ends in. */
  const extract = async (ref: TarballFeatureRef, response: IncomingMessage): Promise<{ digest: string; folder: string }> => {
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    const temp = path.join(cacheDir, `tarball.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      const hash = createHash('sha256');
      let received = 0;
      const counting = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          received += chunk.length;
          if (received > TARBALL_LIMITS.downloadBytes) {
            callback(new OperationError('E_FEATURE_DOWNLOAD', `The Feature ${ref.url} is larger than ${TARBALL_LIMITS.downloadBytes / 1024 ** 2} MiB; pks does not download it.`));
            return;
          }
          hash.update(chunk);
          callback(null, chunk);
        },
      });
      response.once('error', (error) => counting.destroy(unreachable(new URL(ref.url), error)));
      await extractTar(response.pipe(counting), temp, { maxBytes: TARBALL_LIMITS.extractedBytes, maxEntries: TARBALL_LIMITS.entries });
      const digest = `sha256:${hash.digest('hex')}`;
      for (const required of ['devcontainer-feature.json', 'install.sh']) {
        if (!(await isFile(path.join(temp, required)))) {
          throw new OperationError('E_FEATURE_INVALID', `The Feature ${ref.url} has no ${required} at the top of its tarball (a symlink does not count).`, {
            hint: 'A Feature tarball holds devcontainer-feature.json and install.sh at its root (`tar -czf feature.tgz -C <folder> .`).',
          });
        }
      }
      const folder = folderOf(digest);
      if (!(await isFile(path.join(folder, 'devcontainer-feature.json')))) {
        await rm(folder, { recursive: true, force: true });
        try {
          await rename(temp, folder);
        } catch (error) {
          // Another pks process extracted the same tarball first: use theirs.
          if (!(await isFile(path.join(folder, 'devcontainer-feature.json')))) throw error;
        }
      }
      return { digest, folder };
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  };

  return async (ref) => {
    const url = new URL(ref.url);
    const last = await remembered(ref).catch(() => undefined);
    const headers: OutgoingHttpHeaders = { accept: 'application/gzip, application/x-tar, */*' };
    if (last?.etag !== undefined) headers['if-none-match'] = last.etag;
    if (last?.lastModified !== undefined) headers['if-modified-since'] = last.lastModified;
    let response: IncomingMessage;
    try {
      response = await get(url, headers);
    } catch (error) {
      if (last !== undefined && error instanceof OperationError && error.code === 'E_REGISTRY_UNREACHABLE') {
        return { digest: last.digest, folder: folderOf(last.digest), cachedAt: last.at };
      }
      throw error;
    }
    const status = response.statusCode ?? 0;
    if (status === 304 && last !== undefined) {
      response.resume();
      return { digest: last.digest, folder: folderOf(last.digest) };
    }
    if (status !== 200) {
      response.resume();
      throw new OperationError(status === 404 ? 'E_FEATURE_NOT_FOUND' : 'E_FEATURE_DOWNLOAD', `The Feature ${ref.url} cannot be downloaded: the server answered HTTP ${status}.`, {
        hint: status === 404 ? 'Check the URL of the tarball.' : 'Try again later, or check the server.',
      });
    }
    const etag = response.headers.etag;
    const lastModified = response.headers['last-modified'];
    const extracted = await extract(ref, response);
    // Best effort: a cache that cannot be written only costs the next conditional download.
    await remember(ref, { digest: extracted.digest, etag, lastModified }).catch(() => undefined);
    return extracted;
  };
}
