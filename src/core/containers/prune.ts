// What pks made on an engine that nothing uses any more: the images it built
// (every rebuild leaves the previous one behind, untagged) and, when asked,
// the workspace volumes no container mounts. Only what carries pks's labels
// and the user's name is ever a candidate: other users' images and volumes,
// and everything pks did not make, stay.

import { isEngineApiError, type EngineClient, type ImageSummary } from '../../engine/index.js';
import { LABELS, managedFilter } from './labels.js';

export interface PrunableImage {
  id: string;
  tags: string[];
  /** Bytes (layers it shares with other images included, as `docker images` says). */
  size: number;
}

export interface PrunableVolume {
  name: string;
  project: string | undefined;
  /** Bytes, when the engine said. */
  size: number | undefined;
}

export interface PrunePlan {
  images: PrunableImage[];
  volumes: PrunableVolume[];
}

export type PruneResult = { kind: 'image' | 'volume'; name: string; action: 'removed' | 'missing' } | { kind: 'image' | 'volume'; name: string; action: 'in-use'; reason: string };

/** The user's images no container uses, newest first (a child before its parent), and with `volumes`, their unmounted workspace volumes. */
export async function planPrune(engine: EngineClient, options: { owner: string; volumes: boolean }): Promise<PrunePlan> {
  const ownFilter = managedFilter({ [LABELS.spawnedBy]: options.owner });
  const [containers, images, volumes, sizes] = await Promise.all([
    // Any container keeps its image, pks's or not, whoever made it.
    engine.listContainers({ all: true }),
    // All of them, intermediate ones too: an image some other image is built on stays.
    engine.listImages({ all: true }),
    options.volumes ? engine.listVolumes({ filters: { ...ownFilter, dangling: ['true'] } }) : Promise.resolve([]),
    options.volumes ? engine.volumeSizes() : Promise.resolve(new Map<string, number>()),
  ]);
  const byId = new Map(images.map((image) => [image.Id, image]));
  const byTag = new Map(images.flatMap((image) => (image.RepoTags ?? []).map((tag) => [tag, image.Id] as const)));
  const used = new Set<string>();
  for (const container of containers) {
    // A container's image and every image below it.
    let id: string | undefined = container.ImageID ?? byTag.get(container.Image) ?? container.Image;
    while (id !== undefined && id !== '' && !used.has(id)) {
      used.add(id);
      id = byId.get(id)?.ParentId;
    }
  }
  for (const image of images) {
    // Below an image in use, or below another pks image kept: kept too.
    let parent = image.ParentId;
    if (used.has(image.Id) || !isOwn(image, options.owner)) {
      while (parent !== undefined && parent !== '' && !used.has(parent)) {
        used.add(parent);
        parent = byId.get(parent)?.ParentId;
      }
    }
  }
  const unused = images.filter((image) => isOwn(image, options.owner) && !used.has(image.Id)).sort((a: ImageSummary, b: ImageSummary) => b.Created - a.Created);
  return {
    images: unused.map((image) => ({ id: image.Id, tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'), size: image.Size })),
    volumes: volumes
      .map((volume) => ({ name: volume.Name, project: volume.Labels?.[LABELS.projectName], size: sizes.get(volume.Name) }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

function isOwn(image: ImageSummary, owner: string): boolean {
  return image.Labels?.[LABELS.managed] === 'true' && image.Labels[LABELS.spawnedBy] === owner;
}

/** Removes what the plan names, one by one; something used since the plan was made is left and said so. */
export async function executePrune(engine: EngineClient, plan: PrunePlan): Promise<PruneResult[]> {
  const results: PruneResult[] = [];
  const attempt = async (kind: 'image' | 'volume', name: string, remove: () => Promise<void>): Promise<void> => {
    try {
      await remove();
      results.push({ kind, name, action: 'removed' });
    } catch (error) {
      if (isEngineApiError(error, 404)) results.push({ kind, name, action: 'missing' });
      else if (isEngineApiError(error, 409)) results.push({ kind, name, action: 'in-use', reason: error.engineMessage });
      else throw error;
    }
  };
  // Never forced: an image a container started using meanwhile stays.
  for (const image of plan.images) await attempt('image', image.id, () => engine.removeImage(image.id));
  for (const volume of plan.volumes) await attempt('volume', volume.name, () => engine.removeVolume(volume.name));
  return results;
}
