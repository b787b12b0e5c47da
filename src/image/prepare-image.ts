// From a loaded configuration to an image on the engine: pull the configured
// image (or build the Dockerfile), then install the Features in a derived
// image that carries the devcontainer.metadata label. The same code runs
// against a local or a remote engine: everything goes through the engine API,
// and Features are fetched here and sent in the build context.

import path from 'node:path';
import { OperationError } from '../common/errors.js';
import { engineProduct, type EngineClient, type EngineInfo } from '../engine/index.js';
import { createBuildContext } from './build-context.js';
import { featuresContext, hasInstallScript, type FeatureInstall } from './features-image.js';
import { buildImage } from './image-build.js';
import { parseBuildOptions, type BuildFlags } from '../devcontainer/build-options.js';
import { buildkitOptions, runArgsPlatform, type BuildkitOptions } from '../devcontainer/buildkit-options.js';
import { buildWithBuildkit, chooseBuilder, classicBuildWarning, type Builder, type FindBuildkitCli } from './buildkit-build.js';
import { METADATA_LABEL, metadataEntries, parseMetadataLabel, serializeMetadataLabel, type ImageMetadataEntry } from '../devcontainer/image-metadata.js';
import { ensureImage, inspectImage, type ImageInspect } from './image-pull.js';
import { substituteEntries, substitutionContext, type LoadedDevcontainerConfig } from '../devcontainer/load-config.js';
import { mergeConfiguration, type MergedDevcontainerConfig } from '../devcontainer/merge.js';
import { ociFeatureFetcher, type FeatureFetcher } from '../devcontainer/oci/feature-fetcher.js';
import { inPhase, type ProgressListener } from './progress.js';
import { envListToObject } from '../devcontainer/substitute.js';
import { idsToApply, rootlessEngine, updateUidContext, userToUpdate } from './update-uid.js';

export interface PrepareImageOptions {
  /** For registry credentials and `${localEnv:…}` in the base image's metadata. */
  env: Readonly<Record<string, string | undefined>>;
  /** Tag for the image pks builds (default: pks-<folder>-<first 12 of devcontainerId>). */
  imageName?: string | undefined;
  onProgress?: ProgressListener | undefined;
  signal?: AbortSignal | undefined;
  fetcher?: FeatureFetcher | undefined;
  /** Build without the engine's layer cache. */
  noCache?: boolean | undefined;
  /** Labels for the images pks builds (who made them: prune finds them by these). */
  labels?: Readonly<Record<string, string>> | undefined;
  /** Finds a docker CLI for BuildKit builds; without it (or without BuildKit in the engine) the classic builder is used, with a warning. */
  findBuildkit?: FindBuildkitCli | undefined;
  /** The system pks runs on (default: this process's); updateRemoteUserUID applies to a local engine on Linux only. */
  platform?: NodeJS.Platform | undefined;
  /** The configured image's inspect (undefined: not there), asked for earlier alongside other reads. */
  baseImage?: Promise<ImageInspect | undefined> | undefined;
  /** The engine's GET /info, when already asked for (updateRemoteUserUID checks for a rootless engine). */
  engineInfo?: Promise<EngineInfo> | undefined;
}

export interface PreparedImage {
  /** What to create the container from: the tag pks built, or the configured image as-is. */
  imageName: string;
  imageId: string;
  /** The devcontainer.metadata entries (base image, Features, devcontainer.json), unsubstituted. */
  metadata: ImageMetadataEntry[];
  /** The label value for the container, as on the image. */
  metadataLabel: string;
  /** The configuration merged with all of the metadata, local variables substituted. */
  merged: MergedDevcontainerConfig;
  /** The image's Config.User ('' means root). */
  imageUser: string;
  /** The image's Config.Env. */
  imageEnv: Record<string, string>;
  /** The image's own command (Config.Entrypoint then Config.Cmd), run after the Features' entrypoints when overrideCommand is false. */
  imageCommand: string[];
  /** True when pks built an image, false when the configured image is used directly. */
  built: boolean;
  /** The image the remote user's uid was updated on (updateRemoteUserUID): what messages name. */
  uidUpdatedFrom?: string | undefined;
}

/** A valid image repository name from a folder name: lowercase, `[a-z0-9._-]`. */
export function defaultImageName(loaded: Pick<LoadedDevcontainerConfig, 'projectPath' | 'devcontainerId'>): string {
  const folder = path
    .basename(loaded.projectPath)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/[._-]{2,}/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '');
  return `pks-${folder === '' ? 'project' : folder}-${loaded.devcontainerId.slice(0, 12)}`;
}

function commandOf(image: ImageInspect): string[] {
  return [...(image.Config?.Entrypoint ?? []), ...(image.Config?.Cmd ?? [])];
}

function userOf(image: ImageInspect): string {
  return image.Config?.User ?? '';
}

/** Local folders of all Features, downloading published ones into the cache. */
async function featureFolders(loaded: LoadedDevcontainerConfig, fetcher: FeatureFetcher): Promise<FeatureInstall[]> {
  const installs: FeatureInstall[] = [];
  for (const feature of loaded.features) {
    let folder: string;
    if (feature.localFolder !== undefined) folder = feature.localFolder;
    else if (feature.downloadedFolder !== undefined) folder = feature.downloadedFolder;
    else if (feature.ref.kind === 'oci' && feature.published !== undefined) folder = await fetcher.folder(feature.ref, feature.published);
    else throw new OperationError('E_FEATURE_REF', `The Feature "${feature.userId}" has no source to install from.`);
    if (!(await hasInstallScript(folder))) {
      throw new OperationError('E_FEATURE_INVALID', `The Feature "${feature.userId}" has no install.sh.`, {
        hint: 'A Feature folder holds devcontainer-feature.json and an install.sh entrypoint.',
      });
    }
    installs.push({ feature, folder });
  }
  return installs;
}

type DockerfileSource = Extract<LoadedDevcontainerConfig['source'], { kind: 'dockerfile' }>;

interface BaseBuild {
  source: DockerfileSource;
  buildFlags: BuildFlags;
  platform: string | undefined;
  options: PrepareImageOptions;
  projectPath: string;
}

/** The Dockerfile's image, with BuildKit or the classic builder; its id. */
async function buildBase(engine: EngineClient, builder: Builder, buildkit: BuildkitOptions | undefined, build: BaseBuild): Promise<string> {
  const { source, buildFlags, options } = build;
  const common = {
    phase: 'build' as const,
    onProgress: options.onProgress,
    signal: options.signal,
    description: `the image of ${path.relative(build.projectPath, source.dockerfile)}`,
  };
  if (builder.kind === 'buildkit' && buildkit !== undefined) {
    return buildWithBuildkit(engine, builder.cli, {
      ...common,
      contextDir: source.context,
      dockerfile: source.dockerfile,
      args: source.args,
      target: source.target,
      cacheFrom: source.cacheFrom,
      noCache: options.noCache === true,
      options: buildkit.args,
      platform: buildkit.platform === undefined ? build.platform : undefined,
      labels: { ...options.labels },
    });
  }
  const context = await createBuildContext({ contextDir: source.context, dockerfile: source.dockerfile });
  return buildImage(engine, {
    ...common,
    context: context.stream,
    dockerfile: context.dockerfile,
    // As with docker build, the flags come after build.args and build.target, and win.
    args: { ...source.args, ...buildFlags.buildArgs },
    target: buildFlags.target ?? source.target,
    cacheFrom: [...source.cacheFrom, ...buildFlags.cacheFrom],
    labels: { ...buildFlags.labels, ...options.labels },
    pull: buildFlags.pull,
    host: { ...buildFlags.host, platform: build.platform },
    noCache: options.noCache === true || buildFlags.noCache === true,
  });
}

export async function prepareImage(engine: EngineClient, loaded: LoadedDevcontainerConfig, options: PrepareImageOptions): Promise<PreparedImage> {
  const source = loaded.source;
  if (source.kind === 'compose') {
    // Compose builds the service's image; spawn then passes it here as an image.
    throw new OperationError('E_INTERNAL', 'A Compose configuration reached the image step without its service image.');
  }
  const listener = options.onProgress;
  const imageName = options.imageName ?? defaultImageName(loaded);
  const pullOptions = { env: options.env, onProgress: listener, signal: options.signal };

  // 1. The base: the configured image, or the Dockerfile's (untagged: only the final image gets a name).
  let base: ImageInspect;
  // build.options, checked before anything is pulled or built (an unusable flag is an error).
  let buildFlags: BuildFlags | undefined;
  if (source.kind === 'image') {
    base = await ensureImage(engine, source.image, pullOptions, options.baseImage);
  } else {
    const builder = await chooseBuilder(engine, options.findBuildkit);
    let buildkit: BuildkitOptions | undefined;
    if (builder.kind === 'buildkit') {
      buildkit = await buildkitOptions(source.options, loaded.projectPath);
      listener?.({ type: 'info', message: `Building with BuildKit through ${builder.cli.description}`, verbose: true });
    } else {
      listener?.({ type: 'warning', message: classicBuildWarning(builder.reason) });
    }
    const parsed = parseBuildOptions(buildkit?.classic ?? source.options);
    for (const message of buildkit?.ignored ?? parsed.ignored) listener?.({ type: 'warning', message: `build.options: ${message}` });
    buildFlags = parsed.flags;
    const platform = buildFlags.host.platform ?? runArgsPlatform(loaded.config.runArgs ?? []);
    const builtBaseId = await inPhase(listener, 'build', `Building ${path.relative(loaded.projectPath, source.dockerfile)}`, () =>
      buildBase(engine, builder, buildkit, { source, buildFlags: parsed.flags, platform, options, projectPath: loaded.projectPath }),
    );
    const inspected = await inspectImage(engine, builtBaseId);
    if (inspected === undefined) throw new OperationError('E_IMAGE_BUILD', `The engine built ${builtBaseId} but does not have it.`);
    base = inspected;
  }

  // 2. Metadata: the base image's label, then the Features, then devcontainer.json.
  const baseLabel = parseMetadataLabel(base.Config?.Labels?.[METADATA_LABEL]);
  if (baseLabel.problem !== undefined) listener?.({ type: 'warning', message: `${baseLabel.problem} (image ${base.Id})` });
  const metadata = metadataEntries(baseLabel.entries, loaded.features, loaded.rawConfig);
  const merged = mergeConfiguration(loaded.config, substituteEntries(metadata, substitutionContext(loaded, options.env)));
  const metadataLabel = serializeMetadataLabel(metadata);

  if (source.kind === 'image' && loaded.features.length === 0) {
    const imageEnv = envListToObject(base.Config?.Env ?? []);
    const asIs = { imageName: source.image, imageId: base.Id, metadata, metadataLabel, merged, imageUser: userOf(base), imageEnv, imageCommand: commandOf(base), built: false };
    return withUpdatedUid(engine, asIs, { ...options, imageName, buildFlags });
  }

  // 3. The derived image: Features installed, metadata labelled (for a Dockerfile without Features, only
  // the label). A failure leaves no named image and no container (forcerm); the images of the steps
  // that succeeded stay as build cache, as after a failed `docker build`, so a retry resumes there.
  const installs =
    loaded.features.length === 0
      ? []
      : await inPhase(listener, 'fetch-features', 'Fetching Features', () =>
          featureFolders(loaded, options.fetcher ?? ociFeatureFetcher({ env: { ...options.env } })),
        );
  // Config.User may be `name`, `uid` or `uid:gid`; Features get the user part.
  const containerUser = merged.containerUser ?? (userOf(base).split(':')[0] || 'root');
  const remoteUser = merged.remoteUser ?? containerUser;
  const build = () =>
    buildImage(engine, {
      // With Features, devcontainer.json's containerEnv goes into the image too, as the
      // reference CLI does; without, the reference builds no image (or only labels one).
      context: featuresContext({
        baseImage: base.Id,
        installs,
        imageUser: userOf(base),
        containerUser,
        remoteUser,
        containerEnv: installs.length === 0 ? undefined : loaded.config.containerEnv,
      }),
      dockerfile: 'Dockerfile',
      tag: imageName,
      labels: { ...buildFlags?.labels, ...options.labels, [METADATA_LABEL]: metadataLabel },
      // The Features install in the same build settings (network, hosts, limits) as
      // the Dockerfile, as in the reference's single build; FROM is the base's id,
      // so no pull and no platform of its own.
      host: buildFlags === undefined ? undefined : { ...buildFlags.host, platform: undefined },
      phase: 'features',
      onProgress: listener,
      signal: options.signal,
      noCache: options.noCache === true || buildFlags?.noCache === true,
      description: installs.length === 0 ? `the labelled image ${imageName}` : `the Features into ${imageName}`,
    });
  const finalId =
    installs.length === 0
      ? await build()
      : await inPhase(listener, 'features', `Installing ${installs.length} Feature${installs.length === 1 ? '' : 's'}`, build);
  const final = await inspectImage(engine, finalId);
  if (final === undefined) throw new OperationError('E_IMAGE_BUILD', `The engine built ${finalId} but does not have it.`);
  const prepared: PreparedImage = {
    imageName,
    imageId: final.Id,
    metadata,
    metadataLabel,
    merged,
    imageUser: userOf(final),
    imageEnv: envListToObject(final.Config?.Env ?? []),
    imageCommand: commandOf(final),
    built: true,
  };
  return withUpdatedUid(engine, prepared, { ...options, imageName, buildFlags });
}

/**
 * updateRemoteUserUID: the prepared image with the remote user given the
 * host user's uid:gid (see update-uid.ts), tagged `<imageName>-uid`; the
 * prepared image itself when nothing is to change.
 */
async function withUpdatedUid(
  engine: EngineClient,
  prepared: PreparedImage,
  options: PrepareImageOptions & { imageName: string; buildFlags: BuildFlags | undefined },
): Promise<PreparedImage> {
  const user = userToUpdate(prepared.merged, prepared.imageUser, { engineKind: engine.kind, platform: options.platform ?? process.platform });
  if (user === undefined) return prepared;
  const [hostIds, info, version] = await Promise.all([engine.hostUserIds(), options.engineInfo ?? engine.info(), engine.version()]);
  if (hostIds === undefined) {
    options.onProgress?.({ type: 'warning', message: `updateRemoteUserUID: could not learn the user's uid and gid on the ${engine.target}; ${user} keeps the image's ids.` });
    return prepared;
  }
  if (rootlessEngine(info, engineProduct(version).name, hostIds)) {
    options.onProgress?.({ type: 'info', verbose: true, message: `updateRemoteUserUID: the ${engine.target} runs rootless (its containers' root is your user there), so ${user} keeps the image's ids.` });
    return prepared;
  }
  const ids = idsToApply(hostIds);
  if (ids === undefined) return prepared;
  const tag = `${options.imageName}-uid`;
  const builtId = await inPhase(options.onProgress, 'update-uid', `Giving ${user} the uid:gid ${ids.uid}:${ids.gid}`, () =>
    buildImage(engine, {
      context: updateUidContext(prepared.imageId, prepared.imageUser, user, ids),
      dockerfile: 'updateUID.Dockerfile',
      tag,
      // pks's labels (prune finds it by them); the metadata stays the container's own label.
      labels: { ...options.buildFlags?.labels, ...options.labels },
      host: options.buildFlags === undefined ? undefined : { ...options.buildFlags.host, platform: undefined },
      phase: 'update-uid',
      onProgress: options.onProgress,
      signal: options.signal,
      noCache: options.noCache === true || options.buildFlags?.noCache === true,
      description: `the image that gives ${user} the uid ${ids.uid} (${tag})`,
    }),
  );
  const updated = await inspectImage(engine, builtId);
  if (updated === undefined) throw new OperationError('E_IMAGE_BUILD', `The engine built ${builtId} but does not have it.`);
  return { ...prepared, imageName: tag, imageId: updated.Id, built: true, uidUpdatedFrom: prepared.imageName };
}
