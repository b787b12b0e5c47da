// Building an image through the engine's POST /build (the classic builder,
// which every engine has and which needs no BuildKit session): the context
// is streamed as a tar, the output streamed back as progress events. A failed
// build leaves no intermediate containers (forcerm) and reports the tail of
// its output.

import type { Readable } from 'node:stream';
import { OperationError } from '../common/errors.js';
import { withoutUndefined } from '../common/defined.js';
import { isEngineApiError, type BuildHostOptions, type EngineClient } from '../engine/index.js';
import { withContextProgress } from './context-progress.js';
import { jsonMessages, messageError } from './engine-streams.js';
import type { PreparePhase, ProgressListener } from './progress.js';

export interface BuildRequest {
  context: Readable;
  /** Path of the Dockerfile inside the context. */
  dockerfile: string;
  /** Image name to tag, if any. */
  tag?: string | undefined;
  args?: Readonly<Record<string, string>>;
  target?: string | undefined;
  cacheFrom?: readonly string[];
  labels?: Readonly<Record<string, string>>;
  /** Build every step again instead of using the engine's cache (`rebuild --no-cache`). */
  noCache?: boolean | undefined;
  /** Pull a newer FROM image first (`--pull` in build.options). */
  pull?: boolean | undefined;
  /** How the build's containers run (from build.options). */
  host?: BuildHostOptions | undefined;
  /** Which phase the output belongs to, for progress events. */
  phase: PreparePhase;
  onProgress?: ProgressListener | undefined;
  signal?: AbortSignal | undefined;
  /** What is being built, for error messages. */
  description: string;
}

const TAIL_LINES = 30;

/** Builds and returns the new image's id. */
export async function buildImage(engine: EngineClient, request: BuildRequest): Promise<string> {
  const tail: string[] = [];
  let imageId: string | undefined;
  let partial = '';
  const emit = (text: string): void => {
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const clean = line.replace(/\r$/, '');
      tail.push(clean);
      if (tail.length > TAIL_LINES) tail.shift();
      request.onProgress?.({ type: 'build-output', phase: request.phase, line: clean });
      const built = /^Successfully built ([0-9a-f]{12,64})$/.exec(clean.trim());
      if (built?.[1] !== undefined && imageId === undefined) imageId = built[1];
    }
  };
  const failed = (reason: string): OperationError => {
    if (partial !== '') emit('\n');
    return new OperationError('E_IMAGE_BUILD', `Building ${request.description} on the ${engine.target} failed: ${reason.trim()}`, {
      hint: 'The build output above shows the failing step; fix it and run again.',
      details: tail.slice(-TAIL_LINES),
    });
  };
  let messages;
  try {
    messages = await engine.buildImage(withContextProgress(request.context, request.phase, request.onProgress), {
      dockerfile: request.dockerfile,
      tag: request.tag,
      buildArgs: request.args,
      target: request.target,
      cacheFrom: request.cacheFrom,
      labels: request.labels,
      noCache: request.noCache,
      pull: request.pull,
      host: request.host,
      signal: request.signal,
    });
  } catch (error) {
    if (isEngineApiError(error)) throw failed(error.engineMessage);
    throw error;
  }
  for await (const message of jsonMessages(messages)) {
    const failure = messageError(message);
    if (failure !== undefined) throw failed(failure);
    if (message.stream !== undefined) emit(message.stream);
    if (message.aux?.ID !== undefined) imageId = message.aux.ID;
    if (message.id !== undefined && message.status !== undefined) {
      // The builder pulling a FROM image.
      request.onProgress?.({
        type: 'layer-progress',
        image: request.description,
        layer: message.id,
        status: message.status,
        ...withoutUndefined({ current: message.progressDetail?.current, total: message.progressDetail?.total }),
      });
    }
  }
  if (partial !== '') emit('\n');
  if (imageId === undefined) throw failed('the engine did not report the id of the built image');
  return imageId;
}
