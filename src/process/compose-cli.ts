// Docker Compose, the real tool, on this machine: the v2 plugin
// (`docker compose`) where the docker CLI has it, else the standalone
// `docker-compose` (v1, or a v2 binary of that name). Which one is found
// once per command. It reaches the engine through the DOCKER_HOST pks gives
// it (its own connection's socket), always as an argv, with the user's
// environment minus what would point it elsewhere (another engine, other
// files or another project name).
//
// Compose v1 builds images by running the first `docker` on its PATH
// (COMPOSE_DOCKER_CLI_BUILD=1) with BuildKit (DOCKER_BUILDKIT=1); a docker
// CLI of 23 or later without the buildx plugin cannot. So the first CLI that
// can (buildx present, or a CLI older than 23, whose BuildKit is built in)
// has its folder put first on Compose's PATH; with none, Compose builds
// with the classic builder.

import { execFile, spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { OperationError } from '../common/errors.js';
import type { ComposeInvocation, ComposeTool } from '../core/compose/compose-tool.js';
import { ENGINE_SELECTING, findBuildkitCli } from './docker-cli.js';

const run = promisify(execFile);

interface Detected {
  /** argv before the Compose arguments: ['docker', 'compose'] or ['docker-compose']. */
  program: string[];
  /** The standalone program's path on the user's PATH: the build PATH may put another folder first. */
  executable?: string | undefined;
  version: string;
  /** Settings for Compose's own builds (v1): PATH and the BuildKit switches. */
  buildEnv: Record<string, string>;
  /** How Compose builds, for `describe`: `BuildKit through /usr/bin/docker`. */
  builds?: string;
}

/** Variables that would send Compose to another engine, other files or another project: pks sets these. */
const REDIRECTING = [...ENGINE_SELECTING, 'COMPOSE_FILE', 'COMPOSE_PROJECT_NAME', 'COMPOSE_PATH_SEPARATOR'];

async function versionOf(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const [command = '', ...args] = argv;
  try {
    const { stdout } = await run(command, [...args, 'version', '--short'], { env, encoding: 'utf8', timeout: 20_000 });
    const version = stdout.trim().replace(/^v/, '');
    return /^\d+\.\d+/.test(version) ? version : undefined;
  } catch {
    return undefined;
  }
}

async function v1BuildEnv(env: NodeJS.ProcessEnv): Promise<{ builds: string; env: Record<string, string> }> {
  // The same CLI pks's own BuildKit builds use; its folder first on PATH,
  // where Compose v1 looks for `docker`.
  const found = await findBuildkitCli(env);
  if ('cli' in found) {
    const cli = found.cli.path;
    return { builds: `BuildKit through ${cli}`, env: { PATH: [path.dirname(cli), env.PATH ?? ''].filter((p) => p !== '').join(path.delimiter), COMPOSE_DOCKER_CLI_BUILD: '1', DOCKER_BUILDKIT: '1' } };
  }
  // No BuildKit-capable CLI: Compose's own classic builder (RUN --mount and the like fail there).
  return { builds: `the classic builder (${found.reason})`, env: { COMPOSE_DOCKER_CLI_BUILD: '0', DOCKER_BUILDKIT: '0' } };
}

/** The first executable `name` on env's PATH. */
async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '' || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

async function detect(env: NodeJS.ProcessEnv): Promise<Detected> {
  const plugin = await versionOf(['docker', 'compose'], env);
  if (plugin !== undefined) return { program: ['docker', 'compose'], version: plugin, buildEnv: {} };
  const standalone = await versionOf(['docker-compose'], env);
  if (standalone !== undefined) {
    if (!standalone.startsWith('1.')) return { program: ['docker-compose'], version: standalone, buildEnv: {} };
    const build = await v1BuildEnv(env);
    return { program: ['docker-compose'], executable: await onPath('docker-compose', env), version: standalone, buildEnv: build.env, builds: build.builds };
  }
  throw new OperationError('E_COMPOSE_MISSING', 'This configuration uses Docker Compose, and neither `docker compose` nor `docker-compose` runs on this machine.', {
    hint: 'Install Docker Compose (the docker CLI\'s compose plugin, or docker-compose), then spawn again. It runs on this machine, also for remote hosts.',
  });
}

/** The last lines of Compose's output that say something, for an error. */
function tail(output: string, lines = 20): string[] {
  return output
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .slice(-lines);
}

export function composeCli(userEnv: NodeJS.ProcessEnv): ComposeTool {
  let detected: Promise<Detected> | undefined;
  const tool = () => (detected ??= detect(userEnv));
  const label = (d: Detected) => `${d.program.join(' ')} ${d.version}`;

  const environment = (d: Detected, invocation: ComposeInvocation): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...userEnv };
    for (const key of REDIRECTING) delete env[key];
    return { ...env, ...d.buildEnv, DOCKER_HOST: invocation.dockerHost, COMPOSE_PROJECT_NAME: invocation.projectName };
  };

  const execute = async (invocation: ComposeInvocation, args: readonly string[], capture: boolean): Promise<string> => {
    const d = await tool();
    const [command = 'docker-compose', ...programArgs] = d.program;
    const argv = [...programArgs, '-p', invocation.projectName, ...invocation.files.flatMap((file) => ['-f', file]), ...args];
    return new Promise<string>((resolve, reject) => {
      const child = spawn(d.executable ?? command, argv, {
        // Compose resolves the project's relative paths from the first file's folder.
        cwd: path.dirname(invocation.files[0] ?? '.'),
        env: environment(d, invocation),
        stdio: ['ignore', 'pipe', 'pipe'],
        signal: invocation.signal,
      });
      let stdout = '';
      let output = '';
      let partial = '';
      const forward = (text: string) => {
        output = (output + text).slice(-64 * 1024);
        if (invocation.onOutput === undefined) return;
        const lines = (partial + text).split(/\r?\n|\r/);
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim() !== '') invocation.onOutput(line);
      };
      child.stdout.on('data', (chunk: Buffer) => {
        if (capture) stdout += chunk.toString();
        else forward(chunk.toString());
      });
      child.stderr.on('data', (chunk: Buffer) => forward(chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => {
        if (partial.trim() !== '') invocation.onOutput?.(partial);
        if (code === 0) return resolve(stdout);
        const lines = tail(output);
        const last = lines.at(-1) ?? 'no output';
        reject(
          new OperationError('E_COMPOSE_FAILED', `${label(d)} ${args[0] ?? ''} failed (exit ${code ?? 'by signal'}): ${last}`, {
            hint: 'Compose\'s own message is above (--verbose shows its last lines); fix the Compose files or the service, then spawn again.',
            details: lines,
          }),
        );
      });
    });
  };

  return {
    async describe() {
      const d = await tool();
      return d.builds === undefined ? label(d) : `${label(d)}, building with ${d.builds}`;
    },
    async config(invocation) {
      const text = await execute(invocation, ['config'], true);
      // YAML: loaded only on this path (Compose projects).
      const yaml = await import('js-yaml');
      try {
        return yaml.load(text);
      } catch (error) {
        throw new OperationError('E_COMPOSE_CONFIG', 'Compose\'s resolved project (`config`) is not YAML pks can read.', { cause: error });
      }
    },
    async run(invocation, args) {
      await execute(invocation, args, false);
    },
  };
}
