// The Compose override file pks writes, the project name it passes with -p,
// and what it reads of Compose's resolved project: pure functions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { otherBinds, parseComposeModel, projectBinds, servicesToRun } from '../../src/core/compose/compose-model.js';
import { composeOverride, overrideFilePath, serializeOverride } from '../../src/core/compose/override.js';
import { composeProjectName } from '../../src/core/compose/project-name.js';
import { mergeConfiguration, type MergedDevcontainerConfig } from '../../src/devcontainer/index.js';
import { isPksError } from '../../src/common/errors.js';

const merged = (config: Record<string, unknown> = {}): MergedDevcontainerConfig => mergeConfiguration(config as never, [config as never]);

const base = {
  service: 'app',
  containerName: 'pks-me-proj-12345678',
  labels: { 'pks.managed': 'true', 'devcontainer.metadata': '[{"remoteEnv":{"P":"${containerEnv:PATH}"}}]' },
  volumeName: 'pks-me-proj-12345678-workspace',
  mountPoint: '/workspaces',
  replacedTargets: ['/workspaces'],
  image: 'pks-me-proj-12345678-app',
  merged: merged(),
  overrideCommand: false,
};

describe('composeProjectName', () => {
  it('is stable, lowercased and only [a-z0-9_-], from the user, the project and a hash of path, host and user', () => {
    const identity = { projectPath: '/home/Ann/My.App', projectName: 'My.App Ünï', hostId: 'local', localUser: 'Ann.B' };
    const name = composeProjectName(identity);
    assert.match(name, /^[a-z0-9][a-z0-9_-]*$/);
    assert.equal(name, composeProjectName({ ...identity }));
    assert.match(name, /^pks-ann-b-my-app-uni-[0-9a-f]{8}$/);
    assert.notEqual(name, composeProjectName({ ...identity, hostId: 'r1' }), 'another host, another project');
    assert.notEqual(name, composeProjectName({ ...identity, localUser: 'bob' }), 'another user, another project');
  });
});

describe('composeOverride', () => {
  it('labels, names and points the workspace service at the workspace volume and pks image; the volume is external', () => {
    const override = composeOverride(base);
    const app = (override['services'] as Record<string, Record<string, unknown>>)['app'];
    assert.equal(app?.['container_name'], base.containerName);
    assert.deepEqual(app?.['labels'], base.labels);
    assert.equal(app?.['image'], base.image);
    assert.deepEqual(app?.['volumes'], [{ type: 'volume', source: 'pks-workspace', target: '/workspaces' }]);
    assert.deepEqual(override['volumes'], { 'pks-workspace': { external: true, name: base.volumeName } });
    assert.equal(app?.['entrypoint'], undefined, 'overrideCommand false: the service keeps its command');
    assert.equal(app?.['command'], undefined);
    assert.equal(override['version'], undefined);
  });

  it('covers every bind mount of the project folder with the volume, and keeps the version of the user files', () => {
    const override = composeOverride({ ...base, version: '3.9', replacedTargets: ['/workspaces', '/src'] });
    const app = (override['services'] as Record<string, Record<string, unknown>>)['app'];
    assert.deepEqual((app?.['volumes'] as Array<{ target: string }>).map((v) => v.target), ['/workspaces', '/src']);
    assert.equal(override['version'], '3.9');
  });

  it('overrideCommand: the keep-alive script as entrypoint and its arguments as command (a command of the file is replaced)', () => {
    const override = composeOverride({ ...base, overrideCommand: true, merged: merged({ containerEnv: { A: '1' }, containerUser: 'dev', init: true }) });
    const app = (override['services'] as Record<string, Record<string, unknown>>)['app'];
    const entrypoint = app?.['entrypoint'] as string[];
    assert.deepEqual(entrypoint.slice(0, 2), ['/bin/sh', '-c']);
    assert.match(entrypoint[2] ?? '', /while sleep 1000/);
    assert.deepEqual(app?.['command'], ['pks-init']);
    assert.deepEqual(app?.['environment'], { A: '1' });
    assert.equal(app?.['user'], 'dev');
    assert.equal(app?.['init'], true);
  });

  it('serializes with every $ doubled, so Compose substitutes nothing of pks\'s values', () => {
    const text = serializeOverride(composeOverride({ ...base, overrideCommand: true }));
    const parsed = JSON.parse(text) as { services: { app: { labels: Record<string, string>; entrypoint: string[] } } };
    assert.equal(parsed.services.app.labels['devcontainer.metadata'], '[{"remoteEnv":{"P":"$${containerEnv:PATH}"}}]');
    assert.match(parsed.services.app.entrypoint[2] ?? '', /wait \$\$!/);
    assert.doesNotMatch(text, /[^$]\$[^$]/, 'no single $ left');
  });

  it('lives in pks\'s folder, per project', () => {
    assert.equal(overrideFilePath('/home/a/.pks', 'pks-a-p-1'), '/home/a/.pks/compose/pks-a-p-1/docker-compose.pks.json');
  });
});

describe("Compose's resolved project", () => {
  const model = parseComposeModel({
    version: '3.9',
    services: {
      app: { build: { context: '/p/.devcontainer' }, volumes: ['/p/..:/workspaces:cached', '/p/data:/data', 'cache:/cache', '/anon'] },
      db: { image: 'postgres', volumes: [{ type: 'bind', source: '/etc/db', target: '/conf' }] },
      tools: null,
    },
  });

  it('reads v1 short and v2 long volume forms', () => {
    assert.deepEqual(model.services.get('app')?.volumes, [
      { type: 'bind', source: '/p/..', target: '/workspaces' },
      { type: 'bind', source: '/p/data', target: '/data' },
      { type: 'volume', source: 'cache', target: '/cache' },
      { type: 'volume', target: '/anon' },
    ]);
    assert.equal(model.services.get('app')?.builds, true);
    assert.equal(model.services.get('db')?.image, 'postgres');
    assert.equal(model.version, '3.9');
  });

  it('the project bind mounts are those of the project folder or a folder above it', () => {
    assert.deepEqual(projectBinds(model.services.get('app') ?? { name: '', builds: false, volumes: [] }, '/p').map((v) => v.target), ['/workspaces']);
    assert.deepEqual(
      otherBinds(model, ['app', 'db'], 'app', '/p').map(({ service, volume }) => `${service}:${volume.target}`),
      ['app:/data', 'db:/conf'],
    );
  });

  it('runs runServices plus the workspace service, all by default; an unknown service is an E_COMPOSE_CONFIG error', () => {
    assert.deepEqual(servicesToRun(model, 'app', undefined), ['app', 'db', 'tools']);
    assert.deepEqual(servicesToRun(model, 'app', ['db']), ['db', 'app']);
    assert.throws(
      () => servicesToRun(model, 'web', undefined),
      (error: unknown) => isPksError(error) && error.code === 'E_COMPOSE_CONFIG' && /no service "web"/.test(error.message) && /app, db, tools/.test(error.message),
    );
  });
});
