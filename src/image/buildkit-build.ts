// Building a Dockerfile with BuildKit: the docker CLI (a BuildKit-capable one,
// found and run by the process adapter the CLI layer gives) pointed at the
// engine through pks's own connection (engine.toolEndpoint(): a local or warm
// socket, or a private bridge over SSH; never ssh:// or a TCP port). The CLI
// reads the context folder itself, honouring .dockerignore and sending
// symlinks as links. Its `--progress=plain` output becomes pks's progress:
// the current step, one summary line, and the failing step's output in the
// error. When the engine or this machine has no BuildKit, pks says so and the
// classic builder (POST /build) is used.

import * as z from 'zod';
import { OperationError } from '../common/errors.js';
import { compareApiVersions, type EngineClient } from '../engine/index.js';
import { BuildkitProgress } from './buildkit-progress.js';
import type { PreparePhase, ProgressListener } from './progress.js';

export interface BuildkitInvocation {
  /** What follows `build` (or `buildx build`): flags, then the context folder. */
  args: readonly string[];
  /** `DOCKER_HOST` for the CLI. */
  dockerHost: string;
  cwd: string;
  signal?: AbortSignal | undefined;
  /** Each line of the CLI's output (stdout and stderr). */
  onLine: (line: string) => void;
}

export interface BuildkitRunResult {
  exitCode: number;
  /** The built image's id (`sha256:…`), from the CLI's --iidfile. */
  imageId?: string | undefined;
}

/** A docker CLI that builds with BuildKit (the process adapter implements it). */
export interface BuildkitCli {
  /** For --verbose: which program, which version, how (`/usr/bin/docker 20.10.24, BuildKit built in`). */
  readonly description: string;
  /** Runs the build; a Ctrl-C (`signal`) ends the CLI and rejects with the abort reason. */
  build(invocation: BuildkitInvocation): Promise<BuildkitRunResult>;
}

/** Finds a BuildKit-capable docker CLI on this machine, or says why there is none. */
export type FindBuildkitCli = () => Promise<{ cli: BuildkitCli } | { reason: string }>;

export type Builder = { kind: 'buildkit'; cli: BuildkitCli } | { kind: 'classic'; reason: string };

const componentsSchema = z.array(z.looseObject({ Name: z.string() }));

/** Docker 18.09 (API 1.39) is the first engine with BuildKit. */
const BUILDKIT_API = '1.39';

/** BuildKit when the engine has it and this machine has a CLI for it; else the classic builder, with the reason. */
export async function chooseBuilder(engine: EngineClient, find: FindBuildkitCli | undefined): Promise<Builder> {
  if (find === undefined) return { kind: 'classic', reason: 'no docker CLI is given to pks here' };
  const version = await engine.version();
  const components = componentsSchema.safeParse(version.Components);
  if (components.success && components.data.some((component) => /podman/i.test(component.Name))) {
    return { kind: 'classic', reason: `the ${engine.target} is Podman, whose Docker API has no BuildKit` };
  }
  if (compareApiVersions(version.ApiVersion, BUILDKIT_API) < 0) {
    return { kind: 'classic', reason: `the ${engine.target} (Docker ${version.Version}, API ${version.ApiVersion}) is older than Docker 18.09, the first with BuildKit` };
  }
  const found = await find();
  return 'cli' in found ? { kind: 'buildkit', cli: found.cli } : { kind: 'classic', reason: found.reason };
}

/** The warning for a classic build: why, and what then does not work. */
export function classicBuildWarning(reason: string): string {
  return `Building with the classic builder, not BuildKit: ${reason}. RUN --mount, COPY --link, ADD --checksum, heredocs and the automatic platform arguments (TARGETARCH, TARGETOS, BUILDPLATFORM) do not work there.`;
}

export interface BuildkitBuildRequest {
  contextDir: string;
  /** Absolute path of the Dockerfile (it may be outside the context). */
  dockerfile: string;
  tag?: string | undefined;
  args: Readonly<Record<string, string>>;
  target?: string | undefined;
  cacheFrom: readonly string[];
  noCache: boolean;
  /** build.options, checked and normalised (buildkitOptions). */
  options: readonly string[];
  /** From runArgs when build.options has none. */
  platform?: string | undefined;
  /** pks's own labels: last, so that nothing in build.options replaces them. */
  labels: Readonly<Record<string, string>>;
  phase: PreparePhase;
  onProgress?: ProgressListener | undefined;
  signal?: AbortSignal | undefined;
  description: string;
}

/** The docker build arguments, in the order that makes later ones win as docker build does. */
export function buildkitArgs(request: BuildkitBuildRequest): string[] {
  return [
    '--progress=plain',
    `--file=${request.dockerfile}`,
    ...(request.tag === undefined ? [] : [`--tag=${request.tag}`]),
    ...Object.entries(request.args).map(([name, value]) => `--build-arg=${name}=${value}`),
    ...(request.target === undefined ? [] : [`--target=${request.target}`]),
    ...request.cacheFrom.map((from) => `--cache-from=${from}`),
    ...(request.noCache ? ['--no-cache'] : []),
    ...request.options,
    ...(request.platform === undefined ? [] : [`--platform=${request.platform}`]),
    ...Object.entries(request.labels).map(([name, value]) => `--label=${name}=${value}`),
    // A context folder named like a flag is still a folder.
    '--',
    request.contextDir,
  ];
}

/** Lines of the failing step's output in the error message itself (the full log is in --verbose details). */
const MESSAGE_LINES = 25;

/** Builds and returns the image id. */
export async function buildWithBuildkit(engine: EngineClient, cli: BuildkitCli, request: BuildkitBuildRequest): Promise<string> {
  const started = performance.now();
  const progress = new BuildkitProgress();
  const listener = request.onProgress;
  // BuildKit's RUN steps join the `bridge` network, which an engine run with
  // --bridge=none lacks ("network bridge not found"); the classic builder gives
  // them no network there, so BuildKit gets the same.
  let options = request.options;
  if (!options.some((option) => option.startsWith('--network=')) && !(await engine.networkExists('bridge'))) {
    listener?.({ type: 'info', message: `The ${engine.target} has no bridge network: the build's RUN steps run without a network (--network=none).`, verbose: true });
    options = ['--network=none', ...options];
  }
  const endpoint = await engine.toolEndpoint();
  let result: BuildkitRunResult;
  try {
    result = await cli.build({
      args: buildkitArgs({ ...request, options }),
      dockerHost: endpoint.dockerHost,
      cwd: request.contextDir,
      signal: request.signal,
      onLine: (line) => {
        const step = progress.push(line);
        if (step !== undefined) listener?.({ type: 'build-step', phase: request.phase, step });
        listener?.({ type: 'build-output', phase: request.phase, line, verbose: true });
      },
    });
  } finally {
    await endpoint.close();
  }
  if (result.exitCode !== 0 || result.imageId === undefined) {
    const failure = progress.failure();
    const where = failure.step === undefined ? '' : ` at ${failure.step}`;
    const output = failure.output.slice(-MESSAGE_LINES).map((line) => `  | ${line}`);
    const reason = result.exitCode === 0 ? 'the docker CLI did not report the id of the built image' : failure.reason;
    throw new OperationError('E_IMAGE_BUILD', [`Building ${request.description} on the ${engine.target} failed${where}: ${reason}`, ...output].join('\n'), {
      hint: failure.step === undefined ? 'Fix what BuildKit says above and run again (--verbose shows the whole build log).' : 'Fix the failing step and run again (--verbose shows the whole build log).',
      details: progress.lines().slice(-200),
    });
  }
  const { steps, cached } = progress.counts();
  listener?.({ type: 'build-done', phase: request.phase, steps, cached, durationMs: Math.round(performance.now() - started) });
  return result.imageId;
}
