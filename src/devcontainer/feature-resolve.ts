// From devcontainer.json's `features` to the list of Features to install, in
// order: each reference parsed, its metadata read (local folder, or the
// registry for published ones), `dependsOn` followed recursively, identical
// Features (same contents, same options) kept once, then ordered.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { OperationError, isPksError, systemErrorCode } from '../common/errors.js';
import type { FeatureValue } from './config-schema.js';
import { featuresEqual, orderFeatures, type OrderNode } from './feature-order.js';
import { effectiveOptions, userOptions, type FeatureOptionValues } from './feature-options.js';
import { parseFeatureRef, type FeatureRef, type OciFeatureRef } from './feature-ref.js';
import { isInsecureTarballUrl, type DownloadedFeature } from './feature-download.js';
import { featureMetadataSchema, type FeatureMetadata } from './feature-schema.js';
import { parseJsonc } from './jsonc.js';
import type { FeatureFetcher, PublishedFeature } from './oci/feature-fetcher.js';
import { validateDocument, type ConfigWarning } from './validate.js';

export interface ResolvedFeature extends OrderNode {
  /** The key in devcontainer.json, or in the `dependsOn` that pulled this Feature in. */
  userId: string;
  ref: FeatureRef;
  /** As written: a version string, `true`, or an object of options. */
  value: FeatureValue;
  /** Options the user gave, normalised. */
  given: FeatureOptionValues;
  /** Defaults overridden by the given options: what install.sh receives. */
  options: FeatureOptionValues;
  metadata: FeatureMetadata;
  /** Present for published Features. */
  published?: PublishedFeature | undefined;
  /** Absolute folder of a local Feature. */
  localFolder?: string;
  /** Where a Feature given by a tarball's URL was extracted (the cache; not part of the project). */
  downloadedFolder?: string | undefined;
  /** Listed in devcontainer.json (not only pulled in by a dependency). */
  userDefined: boolean;
  dependsOn: ResolvedFeature[];
}

export interface ResolveFeaturesInput {
  features: Readonly<Record<string, FeatureValue>>;
  overrideFeatureInstallOrder?: readonly string[] | undefined;
  configDir: string;
  projectPath: string;
  fetcher: FeatureFetcher;
  /**
   * A published Feature whose registry cannot be reached (and which was never
   * resolved here before): 'fail' (spawn needs it), or 'skip' with a warning
   * (validate and config check the rest of the configuration offline).
   */
  unreachable?: 'fail' | 'skip';
}

const MAX_DEPTH = 32;

function displayPath(projectPath: string, file: string): string {
  const relative = path.relative(projectPath, file);
  return relative.startsWith('..') ? file : relative;
}

async function readLocalMetadata(folder: string, ref: FeatureRef, projectPath: string): Promise<FeatureMetadata> {
  const file = path.join(folder, 'devcontainer-feature.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT' || systemErrorCode(error) === 'ENOTDIR') {
      throw new OperationError('E_FEATURE_NOT_FOUND', `The local Feature "${ref.userId}" has no devcontainer-feature.json (looked in ${folder}).`, {
        hint: 'A local Feature is a folder next to devcontainer.json with devcontainer-feature.json and install.sh.',
      });
    }
    throw error;
  }
  return parseMetadata(text, displayPath(projectPath, file));
}

function parseMetadata(text: string, shownAs: string): FeatureMetadata {
  const doc = { displayPath: shownAs, text };
  return validateDocument(featureMetadataSchema, parseJsonc(text, shownAs), doc, 'devcontainer-feature.json');
}

async function publishedMetadata(ref: OciFeatureRef, published: PublishedFeature, fetcher: FeatureFetcher): Promise<FeatureMetadata> {
  if (published.annotatedMetadata !== undefined) {
    const text = JSON.stringify(published.annotatedMetadata);
    return parseMetadata(text, `${ref.userId} (manifest annotation)`);
  }
  const folder = await fetcher.folder(ref, published);
  return parseMetadata(await readFile(path.join(folder, 'devcontainer-feature.json'), 'utf8'), `${ref.userId}/devcontainer-feature.json`);
}

/** Resolves and orders the Features of a configuration; warnings for ignored `installsAfter` entries. */
export async function resolveFeatures(input: ResolveFeaturesInput): Promise<{ features: ResolvedFeature[]; warnings: ConfigWarning[]; skipped: string[] }> {
  const all: ResolvedFeature[] = [];
  const skipped: string[] = [];
  const warnings: ConfigWarning[] = [];
  const publishedCache = new Map<string, Promise<PublishedFeature>>();
  const downloads = new Map<string, Promise<DownloadedFeature>>();

  /** Rethrows `error`, unless it is an unreachable registry and such Features are skipped: then a warning, and undefined. */
  const skipUnreachable = (userId: string, error: unknown): undefined => {
    if (input.unreachable !== 'skip' || !isPksError(error) || error.code !== 'E_REGISTRY_UNREACHABLE') throw error;
    if (!skipped.includes(userId)) {
      skipped.push(userId);
      warnings.push({ code: 'W_FEATURE_UNCHECKED', message: `Feature "${userId}" was not checked: ${error.message}`, file: userId });
    }
    return undefined;
  };

  /** Undefined when the Feature was skipped (see `unreachable`). */
  const resolveOne = async (userId: string, value: FeatureValue, userDefined: boolean, depth: number): Promise<ResolvedFeature | undefined> => {
    if (depth > MAX_DEPTH) {
      throw new OperationError('E_FEATURE_CYCLE', `Feature dependencies nest deeper than ${MAX_DEPTH} levels at "${userId}"; they probably form a cycle.`);
    }
    const ref = parseFeatureRef(userId, input.configDir, input.projectPath);
    const given = userOptions(value);
    let published: PublishedFeature | undefined;
    if (ref.kind === 'oci') {
      const key = `${ref.resource}@${ref.digest ?? ref.tag ?? 'latest'}`;
      let pending = publishedCache.get(key);
      if (pending === undefined) {
        pending = input.fetcher.resolve(ref);
        publishedCache.set(key, pending);
      }
      try {
        published = await pending;
      } catch (error) {
        return skipUnreachable(userId, error);
      }
      if (published.cachedAt !== undefined) {
        warnings.push({ code: 'W_FEATURE_CACHED', message: `Feature "${userId}": its registry cannot be reached; using what it resolved to on ${published.cachedAt}`, file: userId });
      }
    }
    let downloaded: DownloadedFeature | undefined;
    if (ref.kind === 'tarball') {
      let pending = downloads.get(ref.url);
      if (pending === undefined) {
        pending = input.fetcher.tarball(ref);
        downloads.set(ref.url, pending);
      }
      try {
        downloaded = await pending;
      } catch (error) {
        return skipUnreachable(userId, error);
      }
      if (downloaded.cachedAt !== undefined && !warnings.some((w) => w.code === 'W_FEATURE_CACHED' && w.file === userId)) {
        warnings.push({ code: 'W_FEATURE_CACHED', message: `Feature "${userId}": its server cannot be reached; using what it gave on ${downloaded.cachedAt}`, file: userId });
      }
      if (isInsecureTarballUrl(ref) && !warnings.some((w) => w.code === 'W_FEATURE_INSECURE' && w.file === userId)) {
        warnings.push({ code: 'W_FEATURE_INSECURE', message: `Feature "${userId}" is downloaded over plain http: anyone on the way can change what is installed; use https`, file: userId });
      }
    }
    const contentDigest = downloaded?.digest ?? published?.manifestDigest;
    const probe: OrderNode = { ref, given, manifestDigest: contentDigest, dependsOn: [], installsAfter: [] };
    const existing = all.find((feature) => featuresEqual(feature, probe));
    if (existing !== undefined) {
      existing.userDefined ||= userDefined;
      return existing;
    }
    let metadata: FeatureMetadata;
    try {
      metadata =
        ref.kind === 'local'
          ? await readLocalMetadata(ref.path, ref, input.projectPath)
          : ref.kind === 'tarball'
            ? parseMetadata(await readFile(path.join((downloaded as DownloadedFeature).folder, 'devcontainer-feature.json'), 'utf8'), `${userId} (devcontainer-feature.json)`)
            : await publishedMetadata(ref, published as PublishedFeature, input.fetcher);
    } catch (error) {
      return skipUnreachable(userId, error);
    }
    const installsAfter: FeatureRef[] = [];
    for (const entry of metadata.installsAfter ?? []) {
      try {
        installsAfter.push(parseFeatureRef(entry, input.configDir, input.projectPath));
      } catch {
        warnings.push({
          code: 'W_FEATURE_INSTALLS_AFTER',
          message: `Feature "${userId}": installsAfter entry "${entry}" is not a Feature reference and is ignored`,
          file: userId,
        });
      }
    }
    const feature: ResolvedFeature = {
      userId,
      ref,
      value,
      given,
      options: effectiveOptions(metadata, given, userId),
      metadata,
      manifestDigest: contentDigest,
      legacyIds: metadata.legacyIds,
      userDefined,
      dependsOn: [],
      installsAfter,
      published,
      ...(ref.kind === 'local' ? { localFolder: ref.path } : {}),
      downloadedFolder: downloaded?.folder,
    };
    all.push(feature);
    for (const [dependencyId, dependencyValue] of Object.entries(metadata.dependsOn ?? {})) {
      const dependency = await resolveOne(dependencyId, dependencyValue, false, depth + 1);
      if (dependency !== undefined) feature.dependsOn.push(dependency);
    }
    return feature;
  };

  // Like the reference CLI, a `false` value still installs the Feature (with its defaults).
  for (const [userId, value] of Object.entries(input.features)) await resolveOne(userId, value, true, 0);
  const overrideOrder: FeatureRef[] = [];
  for (const entry of input.overrideFeatureInstallOrder ?? []) {
    try {
      overrideOrder.push(parseFeatureRef(entry, input.configDir, input.projectPath));
    } catch {
      warnings.push({ code: 'W_FEATURE_OVERRIDE_ORDER', message: `overrideFeatureInstallOrder entry "${entry}" is not a Feature reference and is ignored`, file: 'devcontainer.json', property: 'overrideFeatureInstallOrder' });
    }
  }
  return { features: orderFeatures(all, overrideOrder), warnings, skipped };
}
