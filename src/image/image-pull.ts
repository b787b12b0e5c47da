// Images on the engine: inspect, and pull when missing, with per-layer
// progress events and registry credentials from ~/.docker/config.json. The
// engine itself talks to the registry, so this is the same for a local and a
// remote engine.

import { OperationError } from '../common/errors.js';
import { withoutUndefined } from '../common/defined.js';
import { isEngineApiError, type EngineClient, type ImageInspect } from '../engine/index.js';
import { jsonMessages, messageError } from './engine-streams.js';
import { lookupRegistryCredentials, registryAuthHeader } from '../devcontainer/oci/registry-auth.js';
import { inPhase, type ProgressListener } from './progress.js';

export type { ImageInspect };

export interface ImageName {
  /** Repository with its registry, e.g. `127.0.0.1:5000/pks-test/busybox`. */
  repository: string;
  /** Tag or digest (`sha256:…`); `latest` when neither is given. */
  reference: string;
  /** Registry host for credentials; `docker.io` for Docker Hub names. */
  registry: string;
}

export function parseImageName(image: string): ImageName {
  let repository = image;
  let reference = 'latest';
  const at = image.indexOf('@');
  if (at >= 0) {
    repository = image.slice(0, at);
    reference = image.slice(at + 1);
  } else {
    const colon = image.lastIndexOf(':');
    if (colon > image.lastIndexOf('/')) {
      repository = image.slice(0, colon);
      reference = image.slice(colon + 1);
    }
  }
  const first = repository.split('/')[0] ?? '';
  const hasRegistry = repository.includes('/') && (first === 'localhost' || first.includes('.') || first.includes(':'));
  return { repository, reference, registry: hasRegistry ? first : 'docker.io' };
}

/** The image's inspect data, or undefined when the engine does not have it. */
export async function inspectImage(engine: EngineClient, image: string): Promise<ImageInspect | undefined> {
  try {
    return await engine.inspectImage(image);
  } catch (error) {
    if (isEngineApiError(error, 404)) return undefined;
    throw error;
  }
}

export interface PullOptions {
  env: Readonly<Record<string, string | undefined>>;
  onProgress?: ProgressListener | undefined;
  signal?: AbortSignal | undefined;
}

/** Pulls `image` through the engine, reporting each layer's progress. */
export async function pullImage(engine: EngineClient, image: string, options: PullOptions): Promise<void> {
  const name = parseImageName(image);
  const { credentials, helper } = await lookupRegistryCredentials(name.registry, options.env);
  if (helper !== undefined && credentials === undefined) {
    options.onProgress?.({
      type: 'warning',
      message: `~/.docker/config.json keeps the credentials for ${name.registry} in the helper "docker-credential-${helper}", which pks does not run; pulling anonymously.`,
    });
  }
  let messages;
  try {
    messages = await engine.pullImage(
      { repository: name.repository, tag: name.reference },
      {
        registryAuth: credentials === undefined ? undefined : registryAuthHeader(credentials),
        signal: options.signal,
      },
    );
  } catch (error) {
    if (isEngineApiError(error)) throw pullFailed(image, error.engineMessage, engine);
    throw error;
  }
  for await (const message of jsonMessages(messages)) {
    const failure = messageError(message);
    if (failure !== undefined) throw pullFailed(image, failure, engine);
    if (message.id !== undefined && message.status !== undefined) {
      options.onProgress?.({
        type: 'layer-progress',
        image,
        layer: message.id,
        status: message.status,
        ...withoutUndefined({ current: message.progressDetail?.current, total: message.progressDetail?.total }),
      });
    }
  }
}

function pullFailed(image: string, reason: string, engine: EngineClient): OperationError {
  const notFound = /not found|manifest unknown|does not exist|repository .* not found/i.test(reason);
  const denied = /denied|unauthorized|authentication required/i.test(reason);
  return new OperationError('E_IMAGE_PULL', `The image ${image} could not be pulled on the ${engine.target}: ${reason}`, {
    hint: notFound
      ? 'Check the image name and tag in devcontainer.json.'
      : denied
        ? `Log in to the registry with \`docker login\` (pks reads the plain "auth" entries of ~/.docker/config.json).`
        : 'Check that the engine can reach the registry.',
  });
}

/** The image's inspect data, pulling it first if the engine does not have it (`inspected`: the inspect, already asked for). */
export async function ensureImage(engine: EngineClient, image: string, options: PullOptions, inspected?: Promise<ImageInspect | undefined>): Promise<ImageInspect> {
  const present = await (inspected ?? inspectImage(engine, image));
  if (present !== undefined) return present;
  await inPhase(options.onProgress, 'pull', `Pulling ${image}`, () => pullImage(engine, image, options));
  const pulled = await inspectImage(engine, image);
  if (pulled === undefined) throw new OperationError('E_IMAGE_PULL', `The engine reported ${image} pulled, but does not have it.`);
  return pulled;
}
