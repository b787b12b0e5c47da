// Throw-away project folders for spawn tests, and a look inside what spawn
// created through the engines directly (not through pks).

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { execCapture } from '../../src/core/containers/exec.js';
import { devcontainerId, devcontainerIdLabels } from '../../src/devcontainer/index.js';
import { defaultImageName } from '../../src/image/prepare-image.js';
import { openLocalEngine, openSshEngine, type EngineClient } from '../../src/engine/index.js';
import type { TestEnv } from './test-env.js';

const run = promisify(execFile);

/** The folders this test process made (createProject's and testRoot's): resources are removed only by a path under one of them. */
const ownRoots = new Set<string>();

/** A new empty folder in the temporary folder, recorded as this test's own: projects below it may be cleaned up by path. */
export async function testRoot(prefix: string): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  ownRoots.add(root);
  return root;
}

function isOwnFolder(dir: string): boolean {
  for (const root of ownRoots) if (dir.startsWith(`${root}${path.sep}`)) return true;
  return false;
}

/**
 * A project built from a Dockerfile (with a build argument) plus a local
 * Feature; its postCreateCommand writes "built\nfeature\n" to /tmp/result and
 * the Feature sets HELLO_FEATURE=1.
 */
export const BUILD_WITH_FEATURE: Readonly<Record<string, string>> = {
  '.devcontainer/devcontainer.json': JSON.stringify({
    build: { dockerfile: 'Dockerfile', args: { GREETING: 'built' } },
    features: { './hello': { word: 'feature' } },
    postCreateCommand: 'cat /built /etc/hello-feature > /tmp/result',
  }),
  '.devcontainer/Dockerfile': 'FROM pks-test/busybox:latest\nARG GREETING\nRUN echo "$GREETING" > /built\n',
  '.devcontainer/hello/devcontainer-feature.json': JSON.stringify({ id: 'hello', version: '1.0.0', options: { word: { type: 'string', default: 'x' } }, containerEnv: { HELLO_FEATURE: '1' } }),
  '.devcontainer/hello/install.sh': '#!/bin/sh\nset -e\necho "$WORD" > /etc/hello-feature\n',
};

export type Where = 'local' | 'r1' | 'r2' | 'r3' | 'r4';

export interface Project {
  dir: string;
  name: string;
  cleanup(): Promise<void>;
}

/** A git work tree (not committed: untracked-not-ignored files count too) with the given files. */
export async function createProject(files: Record<string, string>, options: { name?: string; git?: boolean } = {}): Promise<Project> {
  const root = await testRoot('pks-project-');
  const name = options.name ?? `proj-${randomBytes(3).toString('hex')}`;
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  if (options.git !== false) await run('git', ['init', '-q', dir]);
  return { dir, name, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export async function engineFor(env: TestEnv, where: Where): Promise<EngineClient> {
  if (where === 'local') return openLocalEngine({ DOCKER_HOST: `unix://${env.localSocket}` });
  const host = env[where];
  return openSshEngine({ host: host.host, port: host.port, username: host.user, privateKeyPath: host.key, knownHostsFiles: [env.knownHosts], socketPath: host.dockerSocket });
}

/** The SSH user's uid and gid on a test host (`id` over OpenSSH): what updateRemoteUserUID gives a container's user there. */
export async function sshUserIds(env: TestEnv, where: Exclude<Where, 'local'>): Promise<{ uid: number; gid: number }> {
  const host = env[where];
  const ids = await run('ssh', ['-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${env.knownHosts}`, '-i', host.key, '-p', String(host.port), `${host.user}@${host.host}`, 'id -u; id -g']);
  const [uid = '', gid = ''] = ids.stdout.trim().split('\n');
  if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) throw new Error(`id on ${where} said: ${ids.stdout}`);
  return { uid: Number(uid), gid: Number(gid) };
}

/** sha256 of each file git would carry, keyed by project-relative path. */
export async function gitFileDigests(dir: string): Promise<Record<string, string>> {
  const listed = await run('git', ['-C', dir, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' });
  const out: Record<string, string> = {};
  for (const file of listed.stdout.split('\0').filter((f) => f !== '')) {
    out[file] = createHash('sha256').update(await readFile(path.join(dir, file))).digest('hex');
  }
  return out;
}

/** sha256 of each regular file under `folder` in the container, .git excluded. */
export async function containerFileDigests(engine: EngineClient, containerId: string, folder: string): Promise<Record<string, string>> {
  const result = await execCapture(engine, containerId, {
    cmd: ['sh', '-c', 'cd "$1" && find . \\( -path ./.git -o -path ./.pks-uploads \\) -prune -o -type f -print0 | xargs -0 -r sha256sum', 'digests', folder],
    user: 'root',
  });
  if (result.exitCode !== 0) throw new Error(`sha256sum failed: ${result.stderr}`);
  const out: Record<string, string> = {};
  for (const line of result.stdout.split('\n').filter((l) => l !== '')) {
    const [digest = '', file = ''] = line.split(/\s+\.\//);
    out[file] = digest.trim();
  }
  return out;
}

export async function containerExec(engine: EngineClient, containerId: string, cmd: string[], user = 'root'): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return execCapture(engine, containerId, { cmd, user });
}

/** Containers and volumes carrying pks.project.path=<dir>. */
export async function leftovers(engine: EngineClient, dir: string): Promise<{ containers: string[]; volumes: string[] }> {
  const filters = { label: [`pks.project.path=${dir}`] };
  const containers = (await engine.listContainers({ all: true, filters })).map((c) => c.Id);
  const { z } = await import('zod');
  const volumes = await engine.request({ path: '/volumes', query: { filters } }, z.looseObject({ Volumes: z.array(z.looseObject({ Name: z.string() })).nullable() }));
  return { containers, volumes: (volumes.Volumes ?? []).map((v) => v.Name) };
}

/**
 * The names pks gives the images it builds for the project at `dir`
 * (`pks-<folder>-<devcontainerId>`), for each configuration file it has and
 * each test host: exact names, derived from this test's own folder.
 */
export async function projectImageNames(dir: string): Promise<string[]> {
  const configs = [path.join(dir, '.devcontainer.json'), path.join(dir, '.devcontainer', 'devcontainer.json')];
  const subfolders = await readdir(path.join(dir, '.devcontainer'), { withFileTypes: true }).catch(() => []);
  for (const entry of subfolders) if (entry.isDirectory()) configs.push(path.join(dir, '.devcontainer', entry.name, 'devcontainer.json'));
  const hosts: Array<Where | undefined> = [undefined, 'r1', 'r2', 'r3', 'r4'];
  // The image updateRemoteUserUID builds on top first: it is the other's child.
  return configs.flatMap((file) =>
    hosts.flatMap((host) => {
      const name = defaultImageName({ projectPath: dir, devcontainerId: devcontainerId(devcontainerIdLabels(dir, file, host)) });
      return [`${name}-uid`, name];
    }),
  );
}

/**
 * Removes every container and volume of a project folder this test created
 * (labelled with its path, which no one else has), and the images pks built
 * for it — test clean-up. A path outside this test's own folders is refused:
 * clean-up by the path of a user's project would remove the user's work.
 */
export async function removeProjectResources(engine: EngineClient, dir: string): Promise<void> {
  if (!isOwnFolder(dir)) throw new Error(`refusing to clean up ${dir}: not a project folder this test created`);
  const { containers, volumes } = await leftovers(engine, dir);
  for (const id of containers) await engine.requestEmpty({ method: 'DELETE', path: `/containers/${id}`, query: { force: true, v: true }, okStatuses: [404] });
  for (const name of volumes) await engine.requestEmpty({ method: 'DELETE', path: `/volumes/${name}`, okStatuses: [404, 409] });
  // An image still in use (409) stays.
  for (const image of await projectImageNames(dir)) await engine.requestEmpty({ method: 'DELETE', path: `/images/${image}`, okStatuses: [404, 409] });
}
