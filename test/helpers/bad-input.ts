// Table-driven bad-input cases for the built `pks` binary: each case runs in
// its own sandbox (HOME, PKS_HOME with a valid hosts file naming r1 and r2)
// with its own project folder, and is checked the same way — exit code, error
// code, message, no stack trace, not a byte changed on disk, nothing left on
// any engine. Each runs with `--log-format json`: the error code tells the
// kind of failure, the message (as the text reporter shows it) its details.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { ErrorCode } from '../../src/common/error-codes.js';
import type { EngineClient } from '../../src/engine/index.js';
import { errorCode } from './error-codes.js';
import { STACK_TRACE, createSandbox, type PksResult, type Sandbox } from './pks-cli.js';
import { createProject, engineFor, leftovers, removeProjectResources, type Project, type Where } from './projects.js';
import type { TestEnv } from './test-env.js';

export interface BadInputCase {
  name: string;
  /** Files of the project folder (always created; it is also the working directory). */
  files?: Record<string, string>;
  /** The command line; `project` is the project folder's absolute path. */
  args: (project: string) => string[];
  env?: Record<string, string>;
  /** Replaces the sandbox's valid hosts file: its text, or a directory in its place. */
  hostsFile?: string | { directory: true };
  /** PKS_HOME points at a regular file. */
  pksHomeIsFile?: boolean;
  code: 1 | 2;
  /** The stable code of the error the command fails with. */
  errorCode: ErrorCode;
  /**
   * The details the case is about (a file:line:column, a field, an option, a
   * host) in the messages on stderr, as the text reporter shows them
   * (`error: …\n  hint: …`); none where the error code says it all.
   */
  message?: RegExp;
  /** The image pks would tag for the project must not exist afterwards (build failures) on these engines. */
  noImageOn?: Where[];
  timeoutMs?: number;
}

/** Every file, directory and link under `root`, with content digests and modes. */
export async function snapshotTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    const info = await lstat(dir);
    const rel = path.relative(root, dir) || '.';
    const mode = (info.mode & 0o7777).toString(8);
    if (info.isSymbolicLink()) out[rel] = `link ${await readlink(dir)}`;
    else if (info.isFile()) out[rel] = `file ${mode} ${createHash('sha256').update(await readFile(dir)).digest('hex')}`;
    else if (info.isDirectory()) {
      out[rel] = `dir ${mode}`;
      for (const name of (await readdir(dir)).sort()) await walk(path.join(dir, name));
    } else out[rel] = `other ${mode}`;
  };
  await walk(root);
  return out;
}

/** A valid hosts file registering the test environment's r1 and r2. */
export function validHostsFile(env: TestEnv): string {
  const entry = (id: 'r1' | 'r2') => ({
    id,
    host: env[id].host,
    user: env[id].user,
    port: env[id].port,
    key: env[id].key,
    dockerSocket: env[id].dockerSocket,
    addedAt: '2024-05-01T09:00:00.000Z',
  });
  return `${JSON.stringify({ version: 1, hosts: [entry('r1'), entry('r2')] }, null, 2)}\n`;
}

const imageList = z.array(z.looseObject({ Id: z.string(), RepoTags: z.array(z.string()).nullable().optional() }));

/** Images named the way pks names a project's image (`pks-<folder>-<id>`). */
export async function projectImages(engine: EngineClient, folder: string): Promise<string[]> {
  const images = await engine.request({ path: '/images/json', query: { filters: { reference: [`pks-${folder}-*`] } } }, imageList);
  return images.map((image) => image.Id);
}

export class BadInputRunner {
  private readonly engines = new Map<Where, EngineClient>();
  private readonly projects: Project[] = [];
  private readonly sandboxes: Sandbox[] = [];

  constructor(private readonly env: TestEnv) {}

  async open(): Promise<void> {
    for (const where of ['local', 'r1', 'r2'] as const) this.engines.set(where, await engineFor(this.env, where));
  }

  /** Removes whatever a failing case left (so one bug does not leak into the engines), then closes. */
  async close(): Promise<void> {
    for (const project of this.projects) {
      for (const engine of this.engines.values()) await removeProjectResources(engine, project.dir).catch(() => undefined);
      await project.cleanup();
    }
    for (const engine of this.engines.values()) await engine.close();
    await Promise.all(this.sandboxes.map((s) => s.cleanup()));
  }

  async run(testCase: BadInputCase): Promise<PksResult> {
    const sandbox = await createSandbox({ knownHosts: this.env.knownHosts });
    this.sandboxes.push(sandbox);
    // Lowercase letters and digits only: the folder is also the image name's middle part.
    const project = await createProject(testCase.files ?? {}, { name: `bad-${randomBytes(4).toString('hex')}`, git: false });
    this.projects.push(project);
    await this.prepareHome(sandbox, testCase);
    const pksHome = testCase.pksHomeIsFile === true ? path.join(path.dirname(sandbox.pksHome), 'pks-file') : sandbox.pksHome;
    const root = path.dirname(sandbox.home);

    const diskBefore = { sandbox: await snapshotTree(root), project: await snapshotTree(project.dir) };
    const result = await sandbox.run(['--log-format', 'json', ...testCase.args(project.dir)], {
      cwd: project.dir,
      env: { PKS_HOME: pksHome, DOCKER_HOST: `unix://${this.env.localSocket}`, ...testCase.env },
      timeoutMs: testCase.timeoutMs ?? 60_000,
    });
    const output = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
    assert.equal(result.code, testCase.code, `exit code\n${output}`);
    assert.equal(errorCode(result), testCase.errorCode, `error code\n${output}`);
    const shown = asText(result);
    if (testCase.message !== undefined) assert.match(shown, testCase.message, output);
    assert.doesNotMatch(shown, STACK_TRACE, output);
    assert.doesNotMatch(result.stderr, STACK_TRACE, output);
    assert.doesNotMatch(result.stdout, STACK_TRACE, output);
    assert.doesNotMatch(result.stderr, /unexpected internal error|E_INTERNAL/, output);
    assert.deepEqual(await snapshotTree(root), diskBefore.sandbox, 'HOME and PKS_HOME unchanged (hosts file, known_hosts, ...)');
    assert.deepEqual(await snapshotTree(project.dir), diskBefore.project, 'project files unchanged');
    for (const [where, engine] of this.engines) {
      assert.deepEqual(await leftovers(engine, project.dir), { containers: [], volumes: [] }, `nothing left on ${where}`);
    }
    for (const where of testCase.noImageOn ?? []) {
      assert.deepEqual(await projectImages(this.engine(where), path.basename(project.dir)), [], `no image tagged for the project on ${where}`);
    }
    return result;
  }

  private engine(where: Where): EngineClient {
    const engine = this.engines.get(where);
    if (engine === undefined) throw new Error(`engine ${where} not open`);
    return engine;
  }

  private async prepareHome(sandbox: Sandbox, testCase: BadInputCase): Promise<void> {
    await mkdir(sandbox.pksHome, { recursive: true, mode: 0o700 });
    const hostsFile = path.join(sandbox.pksHome, 'remote-hosts.json');
    if (testCase.hostsFile === undefined) await writeFile(hostsFile, validHostsFile(this.env), { mode: 0o600 });
    else if (typeof testCase.hostsFile === 'string') await writeFile(hostsFile, testCase.hostsFile, { mode: 0o600 });
    else {
      // Root reads any file whatever its mode: a directory is what stays unreadable as a file.
      await rm(hostsFile, { force: true });
      await mkdir(hostsFile, { mode: 0o700 });
    }
    if (testCase.pksHomeIsFile === true) await writeFile(path.join(path.dirname(sandbox.pksHome), 'pks-file'), 'not a directory\n');
  }
}

/**
 * The `--log-format json` lines of stderr as a text run shows them: each
 * message with its level prefix and hint, and the output of builds pks relays.
 */
function asText(result: Pick<PksResult, 'stderr'>): string {
  const prefix: Record<string, string> = { error: 'error: ', warn: 'warning: ', success: '✔ ', debug: 'debug: ' };
  const shown: string[] = [];
  for (const text of result.stderr.split('\n')) {
    let line: { level?: unknown; message?: unknown; hint?: unknown; type?: unknown; line?: unknown };
    try {
      line = JSON.parse(text) as typeof line;
    } catch {
      continue;
    }
    if (line.level === 'event' && line.type === 'build-output' && typeof line.line === 'string') shown.push(line.line);
    else if (typeof line.level === 'string' && line.level !== 'event' && typeof line.message === 'string') {
      shown.push(`${prefix[line.level] ?? ''}${line.message}${typeof line.hint === 'string' ? `\n  hint: ${line.hint}` : ''}`);
    }
  }
  return shown.join('\n');
}
