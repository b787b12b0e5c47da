// The docker CLI, for what pks leaves to the field's own tools (BuildKit
// builds): which `docker` on this machine can build with BuildKit, and
// running it as an argv against the DOCKER_HOST pks gives (its own
// connection to the engine). A CLI with the buildx plugin builds with
// `docker buildx build --load`; a CLI older than 23 has BuildKit built in
// (DOCKER_BUILDKIT=1 docker build); a newer one without buildx cannot build
// with BuildKit at all. Every `docker` on PATH is looked at, then the usual
// install locations (a machine often has more than one CLI).
//
// PKS_DOCKER_CLI=<path> uses that CLI only; PKS_DOCKER_CLI=none turns
// BuildKit off (the engine's classic builder).

import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BuildkitCli, BuildkitInvocation, BuildkitRunResult } from '../image/buildkit-build.js';

const run = promisify(execFile);

export type BuildkitCliKind = 'buildx' | 'builtin';

export interface FoundDockerCli {
  path: string;
  /** The CLI's own version (`20.10.24+dfsg1`). */
  version: string;
  kind: BuildkitCliKind;
}

/** Where docker CLIs are installed besides PATH (Debian's package, the static binaries, Homebrew, Docker Desktop). */
const WELL_KNOWN = ['/usr/bin/docker', '/usr/local/bin/docker', '/opt/homebrew/bin/docker', '/Applications/Docker.app/Contents/Resources/bin/docker'];

/** CLIs from 23.0 on build through buildx only; before, BuildKit is built in. */
const FIRST_BUILDX_ONLY_MAJOR = 23;

const PROBE_TIMEOUT_MS = 15_000;

/** Variables that would point a docker tool at another engine than the DOCKER_HOST pks gives it. */
export const ENGINE_SELECTING = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_TLS'];

/** Variables that would point the CLI elsewhere than the endpoint pks gives, or change its output. */
const OVERRIDDEN = [...ENGINE_SELECTING, 'BUILDX_BUILDER', 'BUILDKIT_PROGRESS', 'DOCKER_DEFAULT_PLATFORM'];

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function probeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, DOCKER_CLI_HINTS: 'false' };
  for (const name of OVERRIDDEN) delete out[name];
  return out;
}

/**
 * The docker CLI writes into its config folder (BuildKit's `.buildNodeID`,
 * buildx's state, even creating ~/.docker), and pks does not change the
 * user's files: the CLI gets a private folder (0700, removed afterwards)
 * with a copy of the user's config.json — their registry credentials and
 * credential helpers, for a FROM of a private image — without its
 * `currentContext` (the build goes to pks's endpoint), and their
 * cli-plugins (a buildx installed for this user only).
 */
async function withPrivateDockerConfig<T>(env: NodeJS.ProcessEnv, work: (dockerConfig: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pks-docker-config-'));
  try {
    const own = env.DOCKER_CONFIG ?? path.join(env.HOME ?? homedir(), '.docker');
    const config = await readFile(path.join(own, 'config.json'), 'utf8').then(
      (text) => JSON.parse(text) as unknown,
      () => undefined,
    ).catch(() => undefined);
    if (typeof config === 'object' && config !== null && !Array.isArray(config)) {
      const { currentContext: _ignored, ...rest } = config as Record<string, unknown>;
      await writeFile(path.join(dir, 'config.json'), JSON.stringify(rest), { mode: 0o600 });
    }
    if (await executable(path.join(own, 'cli-plugins'))) await symlink(path.join(own, 'cli-plugins'), path.join(dir, 'cli-plugins'));
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function output(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    return await withPrivateDockerConfig(env, async (dockerConfig) =>
      (await run(file, args, { env: { ...probeEnv(env), DOCKER_CONFIG: dockerConfig }, encoding: 'utf8', timeout: PROBE_TIMEOUT_MS, maxBuffer: 1024 * 1024 })).stdout,
    );
  } catch {
    return undefined;
  }
}

/** The `docker` programs to look at, in order: PATH first, then the usual locations; each real file once. */
async function candidates(env: NodeJS.ProcessEnv): Promise<string[]> {
  const listed = [...(env.PATH ?? '').split(path.delimiter).filter((dir) => path.isAbsolute(dir)).map((dir) => path.join(dir, 'docker')), ...WELL_KNOWN];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const file of listed) {
    if (!(await executable(file))) continue;
    const real = await realpath(file).catch(() => file);
    if (seen.has(real)) continue;
    seen.add(real);
    out.push(file);
  }
  return out;
}

/** What one CLI can do: a BuildKit CLI, or why not. */
async function examine(file: string, env: NodeJS.ProcessEnv): Promise<FoundDockerCli | string> {
  const banner = await output(file, ['--version'], env);
  const version = /version ([0-9][^\s,]*)/i.exec(banner ?? '')?.[1];
  if (version === undefined) return `${file} does not run as a docker CLI`;
  if ((await output(file, ['buildx', 'version'], env)) !== undefined) return { path: file, version, kind: 'buildx' };
  const major = Number(version.split('.')[0]);
  if (major < FIRST_BUILDX_ONLY_MAJOR) return { path: file, version, kind: 'builtin' };
  return `${file} (${version}) has no buildx plugin`;
}

/**
 * The first BuildKit-capable docker CLI (buildx plugin, or BuildKit built
 * in), or why none is usable: each CLI looked at, and what it lacks.
 */
export async function findBuildkitCli(env: NodeJS.ProcessEnv): Promise<{ cli: FoundDockerCli } | { reason: string }> {
  const chosen = env.PKS_DOCKER_CLI?.trim();
  if (chosen === 'none') return { reason: 'PKS_DOCKER_CLI=none turns BuildKit off' };
  const files = chosen !== undefined && chosen !== '' ? [chosen] : await candidates(env);
  if (files.length === 0) return { reason: 'no docker CLI was found on PATH or in the usual places (pks builds with BuildKit through it)' };
  const problems: string[] = [];
  for (const file of files) {
    const found = await examine(file, env);
    if (typeof found !== 'string') return { cli: found };
    problems.push(found);
  }
  return { reason: `no docker CLI here can build with BuildKit: ${problems.join('; ')}` };
}

/** Calls `onLine` for each whole line of the chunks pushed (\r\n or \n). */
function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        onLine(pending.slice(0, newline).replace(/\r$/, ''));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    },
    end() {
      if (pending !== '') onLine(pending.replace(/\r$/, ''));
      pending = '';
    },
  };
}

/** After Ctrl-C the CLI gets SIGINT (it cancels the build in the engine), then SIGKILL if it lingers. */
const KILL_AFTER_MS = 10_000;

/**
 * Runs a build: `docker buildx build --load` or `DOCKER_BUILDKIT=1 docker
 * build`, the image id read from an --iidfile in a private temporary folder
 * (nothing is written in the project), with a private copy of the user's
 * docker config (withPrivateDockerConfig).
 */
export function runBuildkitBuild(cli: FoundDockerCli, env: NodeJS.ProcessEnv, invocation: BuildkitInvocation): Promise<BuildkitRunResult> {
  return (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pks-build-'));
    try {
      const iidfile = path.join(dir, 'image-id');
      const command = cli.kind === 'buildx' ? ['buildx', 'build', '--builder=default', '--load'] : ['build'];
      const argv = [...command, `--iidfile=${iidfile}`, ...invocation.args];
      const exitCode = await withPrivateDockerConfig(env, (dockerConfig) =>
        runChild(cli.path, argv, { ...probeEnv(env), DOCKER_CONFIG: dockerConfig, DOCKER_HOST: invocation.dockerHost, DOCKER_BUILDKIT: '1' }, invocation),
      );
      const imageId = exitCode === 0 ? (await readFile(iidfile, 'utf8').catch(() => '')).trim() : '';
      return { exitCode, imageId: imageId === '' ? undefined : imageId };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
}

function runChild(file: string, argv: string[], env: NodeJS.ProcessEnv, invocation: BuildkitInvocation): Promise<number> {
  return new Promise((resolve, reject) => {
    const { signal } = invocation;
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const child = spawn(file, argv, { cwd: invocation.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = lineSplitter(invocation.onLine);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => lines.push(chunk));
    child.stderr.on('data', (chunk: string) => lines.push(chunk));
    let killer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      child.kill('SIGINT');
      killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(killer);
      signal?.removeEventListener('abort', onAbort);
      lines.end();
      // Ctrl-C: the build is over (the CLI is gone), whatever it exited with.
      if (signal?.aborted === true) reject(signal.reason);
      else resolve(code ?? 1);
    });
  });
}

/** The adapter the image layer uses: a found CLI, run with this environment. */
export function buildkitCli(found: FoundDockerCli, env: NodeJS.ProcessEnv): BuildkitCli {
  return {
    description: `${found.path} ${found.version}${found.kind === 'buildx' ? ' (buildx)' : ' (BuildKit built in)'}`,
    build: (invocation) => runBuildkitBuild(found, env, invocation),
  };
}
