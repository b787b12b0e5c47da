// Dev containers as spawn leaves them (labels, workspace volume, metadata),
// made directly through the engine API so the lifecycle commands can be
// tested on their own. Every name is unique; remove() deletes everything.

import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { z } from 'zod';
import { runCli } from '../../src/cli/program.js';
import { execCapture } from '../../src/core/containers/exec.js';
import { LABELS } from '../../src/core/containers/labels.js';
import { isEngineApiError, openLocalEngine, openSshEngine, type EngineClient } from '../../src/engine/index.js';
import { MemoryWritable } from '../helpers/memory-io.js';
import { SANDBOX_USER, createSandbox } from '../helpers/pks-cli.js';
import type { RemoteHostEnv, TestEnv } from '../helpers/test-env.js';
import { waitFor } from '../helpers/wait.js';

export interface FakeDevcontainer {
  id: string;
  name: string;
  project: string;
  volume: string;
  workspaceFolder: string;
  projectPath: string;
}

export interface FakeOptions {
  project?: string;
  projectPath?: string;
  host?: string;
  image: string;
  /** devcontainer.metadata entries. */
  metadata?: unknown[];
  /** Dev containers VS Code made: devcontainer.local_folder, no pks.* labels. */
  foreign?: boolean;
  /** false: created, never started (no workspace folder yet). */
  start?: boolean;
  /** Started once (so the workspace folder exists), then stopped. */
  stopped?: boolean;
  tty?: boolean;
  /** Shell run before the container idles (its output is the container log). */
  prelude?: string;
  env?: string[];
  labels?: Record<string, string>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

const idSchema = z.looseObject({ Id: z.string() });

export async function createDevcontainer(engine: EngineClient, options: FakeOptions): Promise<FakeDevcontainer> {
  const project = options.project ?? uniqueName('pkslc');
  const name = uniqueName(`pks-${project}`);
  const volume = `${name}-ws`;
  const workspaceFolder = `/workspaces/${project}`;
  const projectPath = options.projectPath ?? `/tmp/pks-lifecycle-test/${project}`;
  const labels: Record<string, string> = options.foreign
    ? { [LABELS.localFolder]: projectPath, [LABELS.configFile]: `${projectPath}/.devcontainer/devcontainer.json`, 'pks.test': 'lifecycle' }
    : {
        [LABELS.managed]: 'true',
        [LABELS.projectName]: project,
        [LABELS.projectPath]: projectPath,
        [LABELS.spawnDate]: new Date().toISOString(),
        [LABELS.remoteHost]: options.host ?? 'local',
        [LABELS.volumeName]: volume,
        [LABELS.workspaceFolder]: workspaceFolder,
        // The sandbox's user: the containers are the test's own, as spawn would label them.
        [LABELS.spawnedBy]: SANDBOX_USER,
        [LABELS.remoteUser]: 'root',
        [LABELS.configHash]: 'f'.repeat(64),
        [LABELS.localFolder]: projectPath,
        [LABELS.configFile]: `${projectPath}/.devcontainer/devcontainer.json`,
        [LABELS.metadata]: JSON.stringify(options.metadata ?? [{ postStartCommand: 'echo started >> /tmp/starts' }]),
        'pks.test': 'lifecycle',
      };
  await engine.request({ method: 'POST', path: '/volumes/create', body: { Name: volume, Labels: { 'pks.test': 'lifecycle' } } }, z.unknown());
  // sh as PID 1 ignores SIGTERM unless trapped: the trap makes stop quick.
  const script = `trap 'exit 0' TERM; mkdir -p ${workspaceFolder}; ${options.prelude ?? 'echo ready'}; while :; do sleep 1; done`;
  const { Id: id } = await engine.request(
    {
      method: 'POST',
      path: '/containers/create',
      query: { name },
      body: {
        Image: options.image,
        Cmd: ['sh', '-c', script],
        Tty: options.tty === true,
        OpenStdin: options.tty === true,
        Env: options.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Labels: { ...labels, ...options.labels },
        HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/workspaces' }] },
      },
    },
    idSchema,
  );
  const created = { id, name, project, volume, workspaceFolder, projectPath };
  if (options.start !== false) {
    await engine.requestEmpty({ method: 'POST', path: `/containers/${id}/start` });
    await waitFor(async () => (await execCapture(engine, id, { cmd: ['test', '-d', workspaceFolder] })).exitCode === 0);
    if (options.stopped === true) await engine.requestEmpty({ method: 'POST', path: `/containers/${id}/stop`, query: { t: 5 } });
  }
  return created;
}

/** Removes the container and its volume; missing ones are fine. */
export async function removeDevcontainerFixture(engine: EngineClient, fake: FakeDevcontainer): Promise<void> {
  const ignoreMissing = (error: unknown): void => {
    if (!isEngineApiError(error, 404)) throw error;
  };
  await engine.requestEmpty({ method: 'DELETE', path: `/containers/${fake.id}`, query: { force: 1 } }).catch(ignoreMissing);
  await engine.requestEmpty({ method: 'DELETE', path: `/volumes/${fake.volume}` }).catch(ignoreMissing);
}

export async function containerState(engine: EngineClient, id: string): Promise<{ running: boolean; status: string }> {
  const state = await engine.request({ path: `/containers/${id}/json` }, z.looseObject({ State: z.looseObject({ Running: z.boolean(), Status: z.string() }) }));
  return { running: state.State.Running, status: state.State.Status };
}

export async function volumeExists(engine: EngineClient, volume: string): Promise<boolean> {
  try {
    await engine.request({ path: `/volumes/${encodeURIComponent(volume)}` }, z.unknown());
    return true;
  } catch (error) {
    if (isEngineApiError(error, 404)) return false;
    throw error;
  }
}

// ---- running the CLI in-process against the real engines -------------------

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Defaults to an empty, ended stdin. */
  stdin?: Readable;
  onInterrupt?: (handler: () => void) => () => void;
  /** Called with the stdout stream before the command starts (to watch output arrive). */
  onStart?: (io: { stdout: MemoryWritable; stderr: MemoryWritable }) => void;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runPks(argv: string[], options: RunOptions): Promise<RunResult> {
  const stdout = new MemoryWritable();
  const stderr = new MemoryWritable();
  const stdin = options.stdin ?? new PassThrough().end();
  options.onStart?.({ stdout, stderr });
  const code = await runCli(argv, {
    stdin,
    stdout,
    stderr,
    env: options.env,
    cwd: options.cwd ?? process.cwd(),
    onInterrupt: options.onInterrupt,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export interface Hosts {
  /** HOME, PKS_HOME and DOCKER_HOST for in-process runs; r1 and r2 are registered. */
  env: NodeJS.ProcessEnv;
  local: EngineClient;
  r1: EngineClient;
  cleanup(): Promise<void>;
}

/** A private HOME/PKS_HOME with the test hosts registered, and engine clients to set up fixtures. */
export async function openHosts(testEnv: TestEnv, extraHosts: Array<{ id: string; host: string; port: number }> = []): Promise<Hosts> {
  const sandbox = await createSandbox({ knownHosts: testEnv.knownHosts });
  const env: NodeJS.ProcessEnv = { ...sandbox.env, DOCKER_HOST: `unix://${testEnv.localSocket}` };
  const add = async (id: string, host: RemoteHostEnv | { host: string; port: number; user: string; key: string }): Promise<void> => {
    const result = await runPks(['remote', 'add', id, '--host', host.host, '--port', String(host.port), '--user', host.user, '--key', host.key, '--no-test'], { env });
    if (result.code !== 0) throw new Error(`remote add ${id} failed: ${result.stderr}`);
  };
  await add('r1', testEnv.r1);
  await add('r2', testEnv.r2);
  for (const extra of extraHosts) await add(extra.id, { ...extra, user: testEnv.r1.user, key: testEnv.r1.key });
  const local = await openLocalEngine({ DOCKER_HOST: `unix://${testEnv.localSocket}` });
  const r1 = await openSshEngine({ host: testEnv.r1.host, port: testEnv.r1.port, username: testEnv.r1.user, privateKeyPath: testEnv.r1.key, knownHostsFiles: [testEnv.knownHosts] });
  return {
    env,
    local,
    r1,
    cleanup: async () => {
      await Promise.all([local.close(), r1.close()]);
      await sandbox.cleanup();
    },
  };
}
