// Published Features: the manifest (whose `dev.containers.metadata`
// annotation carries devcontainer-feature.json, so ordering and merging need
// no download), and the layer, downloaded once, checked against its digest
// and extracted into a cache keyed by that digest (~/.pks/cache/features).
// Each resolution (reference → digests, metadata) is remembered too
// (~/.pks/cache/feature-refs), so a registry that cannot be reached later
// falls back to what was last resolved, and says so.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import * as z from 'zod';
import { OperationError, errorMessage, systemErrorCode } from '../../common/errors.js';
import { rememberedRefs } from '../remembered-refs.js';
import { pksHome } from '../../store/remote-host-store.js';
import { ociReference, type OciFeatureRef, type TarballFeatureRef } from '../feature-ref.js';
import { tarballFeatureDownloader, type DownloadedFeature } from '../feature-download.js';
import { extractTar } from '../../common/tar/tar-reader.js';
import { lookupRegistryCredentials } from './registry-auth.js';
import { RegistryClient } from './registry-client.js';

export const FEATURE_LAYER_MEDIA_TYPE = 'application/vnd.devcontainers.layer.v1+tar';
const MANIFEST_MEDIA_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];

const descriptorSchema = z.looseObject({ mediaType: z.string(), digest: z.string().regex(/^sha256:[a-f0-9]{64}$/), size: z.number() });
const manifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  layers: z.array(descriptorSchema).min(1),
  annotations: z.record(z.string(), z.string()).optional(),
});

export interface PublishedFeature {
  manifestDigest: string;
  layerDigest: string;
  /** devcontainer-feature.json from the manifest annotation, when the publisher set it. */
  annotatedMetadata?: unknown;
  /** Set when the registry could not be reached and this is the resolution remembered from then (ISO date). */
  cachedAt?: string;
}

const rememberedSchema = z.object({
  reference: z.string(),
  manifestDigest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
  layerDigest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
  annotatedMetadata: z.unknown().optional(),
  at: z.string(),
});

export interface FeatureFetcher {
  resolve(ref: OciFeatureRef): Promise<PublishedFeature>;
  /** The Feature's files on the local disk (downloaded and extracted on first use). */
  folder(ref: OciFeatureRef, published: PublishedFeature): Promise<string>;
  /** A Feature given by a tarball's URL, downloaded (or found in the cache) and extracted. */
  tarball(ref: TarballFeatureRef): Promise<DownloadedFeature>;
}

export function defaultFeatureCacheDir(env: NodeJS.ProcessEnv): string {
  return path.join(pksHome(env), 'cache', 'features');
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

export function ociFeatureFetcher(options: { env: NodeJS.ProcessEnv; cacheDir?: string }): FeatureFetcher {
  const cacheDir = options.cacheDir ?? defaultFeatureCacheDir(options.env);
  const clients = new Map<string, RegistryClient>();
  const clientFor = async (ref: OciFeatureRef): Promise<RegistryClient> => {
    const key = ref.resource;
    const cached = clients.get(key);
    if (cached !== undefined) return cached;
    const { credentials } = await lookupRegistryCredentials(ref.registry, options.env);
    const client = new RegistryClient(ref.registry, ref.repository, credentials);
    clients.set(key, client);
    return client;
  };

  const refs = rememberedRefs(cacheDir);
  /** What a remembered resolution is of: the repository and the tag or digest asked for. */
  const referenceOf = (ref: OciFeatureRef): string => `${ref.resource}@${ociReference(ref)}`;
  const remember = (ref: OciFeatureRef, published: PublishedFeature): Promise<void> =>
    refs.write(referenceOf(ref), { reference: referenceOf(ref), ...published, at: new Date().toISOString() });
  const remembered = async (ref: OciFeatureRef): Promise<PublishedFeature | undefined> => {
    const parsed = rememberedSchema.safeParse(await refs.read(referenceOf(ref)));
    if (!parsed.success || parsed.data.reference !== referenceOf(ref)) return undefined;
    const { manifestDigest, layerDigest, annotatedMetadata, at } = parsed.data;
    return { manifestDigest, layerDigest, annotatedMetadata, cachedAt: at };
  };

  const resolveOnline = async (ref: OciFeatureRef): Promise<PublishedFeature> => {
    const client = await clientFor(ref);
    const manifest = await client.getManifest(ociReference(ref), MANIFEST_MEDIA_TYPES);
    const computed = `sha256:${createHash('sha256').update(manifest.body).digest('hex')}`;
    if (ref.digest !== undefined && ref.digest !== computed) {
      throw new OperationError('E_FEATURE_DIGEST', `${ref.userId}: the registry returned a manifest whose digest is ${computed}.`);
    }
    let parsed: z.infer<typeof manifestSchema>;
    try {
      parsed = manifestSchema.parse(JSON.parse(manifest.body.toString('utf8')));
    } catch (error) {
      throw new OperationError('E_FEATURE_MANIFEST', `${ref.userId} is not a Dev Container Feature: its manifest cannot be read (${errorMessage(error)}).`);
    }
    const layer = parsed.layers.find((l) => l.mediaType === FEATURE_LAYER_MEDIA_TYPE) ?? parsed.layers[0];
    if (layer === undefined) throw new OperationError('E_FEATURE_MANIFEST', `${ref.userId} has no layer.`);
    let annotatedMetadata: unknown;
    const annotation = parsed.annotations?.['dev.containers.metadata'];
    if (annotation !== undefined) {
      try {
        annotatedMetadata = JSON.parse(annotation);
      } catch {
        // Fall back to the file inside the layer, as the spec requires.
      }
    }
    return { manifestDigest: computed, layerDigest: layer.digest, annotatedMetadata };
  };

  return {
    tarball: tarballFeatureDownloader({ cacheDir }),

    async resolve(ref) {
      let published: PublishedFeature;
      try {
        published = await resolveOnline(ref);
      } catch (error) {
        if (!(error instanceof OperationError && error.code === 'E_REGISTRY_UNREACHABLE')) throw error;
        const fallback = await remembered(ref).catch(() => undefined);
        if (fallback === undefined) throw error;
        return fallback;
      }
      // Best effort: a cache that cannot be written only costs the offline fallback.
      await remember(ref, published).catch(() => undefined);
      return published;
    },

    async folder(ref, published) {
      const target = path.join(cacheDir, published.layerDigest.replace(':', '-'));
      if (await exists(path.join(target, 'devcontainer-feature.json'))) return target;
      await mkdir(cacheDir, { recursive: true, mode: 0o700 });
      const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        const client = await clientFor(ref);
        const blob = await client.getBlob(published.layerDigest);
        const hash = createHash('sha256');
        const hashing = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            hash.update(chunk);
            callback(null, chunk);
          },
        });
        blob.once('error', (error) => hashing.destroy(error));
        await extractTar(blob.pipe(hashing), temp);
        const actual = `sha256:${hash.digest('hex')}`;
        if (actual !== published.layerDigest) {
          throw new OperationError('E_FEATURE_DIGEST', `${ref.userId}: the downloaded layer's digest is ${actual}, not ${published.layerDigest}.`, {
            hint: 'The registry or something between it and you altered the download; try again.',
          });
        }
        if (!(await exists(path.join(temp, 'devcontainer-feature.json')))) {
          throw new OperationError('E_FEATURE_MANIFEST', `${ref.userId}: the Feature's archive has no devcontainer-feature.json.`);
        }
        try {
          await rename(temp, target);
        } catch (error) {
          // Another pks process extracted the same layer first: use theirs.
          if (!(await exists(target))) throw error;
        }
        return target;
      } finally {
        await rm(temp, { recursive: true, force: true });
      }
    },
  };
}
