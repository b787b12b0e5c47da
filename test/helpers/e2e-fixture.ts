// The shared setup of the end-to-end suites that spawn projects: a sandboxed
// HOME/PKS_HOME with the test hosts registered, engine clients to look at
// what pks created, and clean-up of every project a test made.

import assert from 'node:assert/strict';
import type { SpawnResult } from '../../src/core/spawn/spawn.js';
import type { EngineClient } from '../../src/engine/index.js';
import { createSandbox, type Sandbox } from './pks-cli.js';
import { createProject, engineFor, removeProjectResources, type Project, type Where } from './projects.js';
import { loadTestEnv, type TestEnv } from './test-env.js';

/** The `--format json` outcome of spawn and rebuild (a failure: `outcome: 'error'` with its `code`). */
export type SpawnOutcome = Omit<SpawnResult, 'outcome'> & { outcome: string; action: string; code?: string };

export class E2eFixture {
  env!: TestEnv;
  sandbox!: Sandbox;
  private readonly engines = new Map<Where, EngineClient>();
  private readonly projects: Array<{ project: Project; where: Where }> = [];

  constructor(private readonly hosts: readonly Where[]) {}

  async setUp(): Promise<void> {
    this.env = loadTestEnv();
    this.sandbox = await createSandbox({ knownHosts: this.env.knownHosts });
    for (const where of this.hosts) {
      if (where !== 'local') {
        const host = this.env[where];
        const added = await this.sandbox.run(['remote', 'add', where, '--host', host.host, '--user', host.user, '--key', host.key, '--docker-socket', host.dockerSocket, '--no-test']);
        assert.equal(added.code, 0, added.stderr);
      }
      this.engines.set(where, await engineFor(this.env, where));
    }
  }

  async tearDown(): Promise<void> {
    for (const { project, where } of this.projects) {
      await removeProjectResources(this.engine(where), project.dir);
      await project.cleanup();
    }
    for (const client of this.engines.values()) await client.close();
    await this.sandbox.cleanup();
  }

  engine(where: Where): EngineClient {
    const client = this.engines.get(where);
    if (client === undefined) throw new Error(`no engine for ${where}`);
    return client;
  }

  /** A project folder whose containers and volumes on `where` are removed at tear-down. */
  async project(where: Where, files: Record<string, string>, options: { name?: string } = {}): Promise<Project> {
    const created = await createProject(files, options);
    this.projects.push({ project: created, where });
    return created;
  }

  /** `pks devcontainer spawn <dir> --format json` on `where`. */
  async spawn(where: Where, dir: string, extra: string[] = []): Promise<{ code: number | null; outcome: SpawnOutcome | undefined; stderr: string }> {
    const args = ['devcontainer', 'spawn', dir, '--format', 'json', ...remoteArgs(where), ...extra];
    const result = await this.sandbox.run(args, { timeoutMs: 180_000 });
    let outcome: SpawnOutcome | undefined;
    try {
      outcome = JSON.parse(result.stdout) as SpawnOutcome;
    } catch {
      outcome = undefined;
    }
    return { code: result.code, outcome, stderr: result.stderr };
  }
}

export function remoteArgs(where: Where): string[] {
  return where === 'local' ? [] : ['--remote', where];
}
