// Many pks processes at once, as a team's scripts or a busy terminal run
// them: 30 concurrent exec, logs, list and stop/start across the local engine
// and both remote hosts must all succeed; and concurrent edits of the hosts
// file, mixed with reads, must lose no update.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import type { EngineClient } from '../../src/engine/index.js';
import { STACK_TRACE, createSandbox, type PksResult, type Sandbox } from '../helpers/pks-cli.js';
import { containerExec, createProject, engineFor, leftovers, removeProjectResources, type Project, type Where } from '../helpers/projects.js';
import { loadTestEnv, type TestEnv } from '../helpers/test-env.js';

const ENGINES = ['local', 'r1', 'r2'] as const;
type LoadEngine = (typeof ENGINES)[number];
/** Per engine: one container that exec and logs use, one to stop, one (stopped) to start. */
type Role = 'busy' | 'toStop' | 'toStart';

let env: TestEnv;
let sandbox: Sandbox;
const engines = new Map<Where, EngineClient>();
const projects: Array<{ project: Project; where: Where }> = [];
const containers = new Map<string, { id: string; name: string; project: Project }>();

const remoteArgs = (where: Where): string[] => (where === 'local' ? [] : ['--remote', where]);
const key = (where: LoadEngine, role: Role): string => `${where}/${role}`;

function container(where: LoadEngine, role: Role): { id: string; name: string; project: Project } {
  const found = containers.get(key(where, role));
  if (found === undefined) throw new Error(`no ${role} container on ${where}`);
  return found;
}

function engine(where: Where): EngineClient {
  const client = engines.get(where);
  if (client === undefined) throw new Error(`no engine for ${where}`);
  return client;
}

const stateSchema = z.looseObject({ State: z.looseObject({ Status: z.string() }) });

async function state(where: LoadEngine, role: Role): Promise<string> {
  return (await engine(where).request({ path: `/containers/${container(where, role).id}/json` }, stateSchema)).State.Status;
}

before(async () => {
  env = loadTestEnv();
  sandbox = await createSandbox({ knownHosts: env.knownHosts });
  for (const where of ['r1', 'r2'] as const) {
    const host = env[where];
    const added = await sandbox.run(['remote', 'add', where, '--host', host.host, '--user', host.user, '--key', host.key, '--no-test']);
    assert.equal(added.code, 0, added.stderr);
  }
  for (const where of ENGINES) engines.set(where, await engineFor(env, where));
  // Nine containers, spawned three engines at a time.
  for (const role of ['busy', 'toStop', 'toStart'] as const) {
    await Promise.all(
      ENGINES.map(async (where) => {
        const project = await createProject({ '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest' }) });
        projects.push({ project, where });
        const spawned = await sandbox.run(['devcontainer', 'spawn', project.dir, '--format', 'json', ...remoteArgs(where)], { timeoutMs: 120_000 });
        assert.equal(spawned.code, 0, spawned.stderr);
        const outcome = JSON.parse(spawned.stdout) as { containerId: string; containerName: string };
        containers.set(key(where, role), { id: outcome.containerId, name: outcome.containerName, project });
      }),
    );
  }
  for (const where of ENGINES) {
    const busy = container(where, 'busy');
    await containerExec(engine(where), busy.id, ['sh', '-c', `echo log-line-of-${where} > /proc/1/fd/1`]);
    await engine(where).requestEmpty({ method: 'POST', path: `/containers/${container(where, 'toStart').id}/stop`, query: { t: 1 } });
  }
});

after(async () => {
  for (const { project, where } of projects) {
    await removeProjectResources(engine(where), project.dir);
    await project.cleanup();
  }
  for (const client of engines.values()) await client.close();
  await sandbox.cleanup();
});

interface Job {
  label: string;
  args: string[];
  check: (result: PksResult) => void;
}

function jobsFor(where: LoadEngine): Job[] {
  const busy = container(where, 'busy');
  const jobs: Job[] = [];
  for (let i = 0; i < 4; i += 1) {
    jobs.push({
      label: `exec #${i} on ${where}`,
      args: ['devcontainer', 'exec', ...remoteArgs(where), busy.name, '--', 'sh', '-c', `echo exec-${where}-${i}; echo to-stderr >&2`],
      check: (r) => {
        assert.equal(r.stdout, `exec-${where}-${i}\n`);
        assert.equal(r.stderr, 'to-stderr\n');
      },
    });
  }
  for (let i = 0; i < 2; i += 1) {
    jobs.push({ label: `logs #${i} on ${where}`, args: ['devcontainer', 'logs', busy.id.slice(0, 12), ...remoteArgs(where), '--tail', '20'], check: (r) => assert.match(r.stdout, new RegExp(`log-line-of-${where}\\n`)) });
  }
  jobs.push({
    label: `list on ${where}`,
    args: ['devcontainer', 'list', '--all', '--format', 'json', ...remoteArgs(where)],
    check: (r) => {
      const ids = (JSON.parse(r.stdout) as Array<{ containerId: string }>).map((c) => c.containerId);
      assert.ok(ids.includes(busy.id), `${busy.name} is listed`);
    },
  });
  jobs.push({
    label: `list --all-remotes (${where}'s turn)`,
    args: ['devcontainer', 'list', '--all-remotes', '--all', '--format', 'json'],
    check: (r) => {
      const ids = new Set((JSON.parse(r.stdout) as Array<{ containerId: string }>).map((c) => c.containerId));
      for (const other of ENGINES) assert.ok(ids.has(container(other, 'busy').id), `the ${other} container is listed`);
    },
  });
  jobs.push({ label: `stop on ${where}`, args: ['devcontainer', 'stop', container(where, 'toStop').name, ...remoteArgs(where), '--timeout', '1'], check: (r) => assert.match(r.stderr, /Stopped /) });
  jobs.push({ label: `start on ${where}`, args: ['devcontainer', 'start', container(where, 'toStart').name, ...remoteArgs(where)], check: (r) => assert.match(r.stderr, /Started /) });
  return jobs;
}

describe('load', () => {
  it('30 concurrent pks processes (exec, logs, list, stop/start) on the local engine, r1 and r2 all succeed', async (t) => {
    const jobs = ENGINES.flatMap(jobsFor);
    assert.equal(jobs.length, 30);
    const started = performance.now();
    const results = await Promise.all(jobs.map((job) => sandbox.run(job.args, { timeoutMs: 120_000 })));
    t.diagnostic(`30 processes finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    results.forEach((result, i) => {
      const job = jobs[i];
      if (job === undefined) return;
      assert.equal(result.code, 0, `${job.label}: exit ${result.code}\n${result.stderr}`);
      assert.doesNotMatch(result.stderr, STACK_TRACE, job.label);
      assert.doesNotMatch(result.stderr, /retrying/, `${job.label} needed no retry`);
      job.check(result);
    });
    for (const where of ENGINES) {
      assert.equal(await state(where, 'toStop'), 'exited', `stopped on ${where}`);
      assert.equal(await state(where, 'toStart'), 'running', `started on ${where}`);
      assert.equal((await leftovers(engine(where), container(where, 'busy').project.dir)).containers.length, 1);
    }
  });

  it('concurrent `remote add` and `remote remove`, mixed with reads, lose no update to the hosts file', async () => {
    const s = await createSandbox({ knownHosts: env.knownHosts });
    try {
      const r1 = env.r1;
      const r1Args = ['--host', r1.host, '--user', r1.user, '--key', r1.key, '--no-test'];
      const old = Array.from({ length: 5 }, (_, i) => `old${i}`);
      for (const id of old) assert.equal((await s.run(['remote', 'add', id, ...r1Args])).code, 0);
      const added = Array.from({ length: 20 }, (_, i) => `h${String(i).padStart(2, '0')}`);
      const writes = [
        ...added.map((id) => ['remote', 'add', id, ...r1Args]),
        ...old.map((id) => ['remote', 'remove', id, '--yes']),
      ];
      const reads = Array.from({ length: 10 }, () => ['remote', 'list', '--format', 'json']);
      // Interleaved: a read between every few writes.
      const all = writes.flatMap((args, i) => (i % 2 === 0 && reads.length > 0 ? [args, reads.pop() ?? []] : [args]));
      const results = await Promise.all(all.map((args) => s.run(args, { timeoutMs: 60_000 })));
      const known = new Set([...old, ...added]);
      results.forEach((result, i) => {
        const args = all[i] ?? [];
        assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
        assert.doesNotMatch(result.stderr, STACK_TRACE);
        if (args[1] === 'list') {
          // Every read sees a whole file: valid JSON, only ids that exist at some point.
          const ids = (JSON.parse(result.stdout) as Array<{ id: string }>).map((h) => h.id);
          for (const id of ids) assert.ok(known.has(id), id);
        }
      });
      const file = JSON.parse(await readFile(path.join(s.pksHome, 'remote-hosts.json'), 'utf8')) as { hosts: Array<{ id: string }> };
      assert.deepEqual(file.hosts.map((h) => h.id).sort(), [...added].sort(), 'every add kept, every remove applied');
    } finally {
      await s.cleanup();
    }
  });
});
