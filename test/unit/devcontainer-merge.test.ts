// The spec's merge logic for image metadata, and the label format.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  configMetadataEntry,
  parseMetadataLabel,
  serializeMetadataLabel,
  type ImageMetadataEntry,
} from '../../src/devcontainer/image-metadata.js';
import { lifecycleCommandsByHook, mergeConfiguration, parseMountString, parseSize } from '../../src/devcontainer/merge.js';

const base: ImageMetadataEntry = {
  id: 'ghcr.io/x/base:1',
  init: true,
  capAdd: ['SYS_PTRACE'],
  securityOpt: ['seccomp=unconfined'],
  entrypoint: '/base.sh',
  mounts: [{ type: 'volume', source: 'base', target: '/data' }, 'type=volume,source=keep,target=/keep'],
  customizations: { vscode: { extensions: ['base'] } },
  onCreateCommand: 'echo base',
  remoteUser: 'vscode',
  containerEnv: { A: 'base', B: 'base' },
  remoteEnv: { R: 'base' },
  forwardPorts: [3000, 'db:5432'],
  portsAttributes: { '3000': { label: 'base' }, '4000': { label: 'b4' } },
  hostRequirements: { cpus: 4, memory: '2gb', gpu: 'optional' },
  overrideCommand: false,
  updateRemoteUserUID: true,
  waitFor: 'onCreateCommand',
};
const feature: ImageMetadataEntry = {
  id: './feature',
  privileged: true,
  capAdd: ['SYS_PTRACE', 'NET_ADMIN'],
  entrypoint: '/feature.sh',
  mounts: ['type=bind,src=/host,dst=/data'],
  customizations: { vscode: { settings: { a: 1 } }, jetbrains: { x: 1 } },
  postCreateCommand: ['echo', 'feature'],
};
const config: ImageMetadataEntry = {
  capAdd: ['SYS_ADMIN'],
  containerEnv: { B: 'config' },
  remoteEnv: { R: null as unknown as string },
  postCreateCommand: { a: 'echo a' },
  forwardPorts: ['localhost:3000', 8080],
  portsAttributes: { '3000': { label: 'config' } },
  hostRequirements: { cpus: 2, memory: '4gb', storage: '10gb' },
  overrideCommand: true,
  updateRemoteUserUID: false,
  remoteUser: 'root',
};

describe('merging metadata (spec "merge logic")', () => {
  const merged = mergeConfiguration({ image: 'img', name: 'n' }, [base, feature, config]);

  it('keeps the configuration and ORs booleans', () => {
    assert.equal(merged.image, 'img');
    assert.equal(merged.init, true);
    assert.equal(merged.privileged, true);
  });

  it('unions capAdd and securityOpt without duplicates, and collects entrypoints', () => {
    assert.deepEqual(merged.capAdd, ['SYS_PTRACE', 'NET_ADMIN', 'SYS_ADMIN']);
    assert.deepEqual(merged.securityOpt, ['seccomp=unconfined']);
    assert.deepEqual(merged.entrypoints, ['/base.sh', '/feature.sh']);
  });

  it('collects mounts, the last one per target winning', () => {
    assert.deepEqual(merged.mounts, ['type=volume,source=keep,target=/keep', 'type=bind,src=/host,dst=/data']);
    assert.deepEqual(parseMountString('type=bind,src=/a,dst=/b,readonly'), { type: 'bind', source: '/a', target: '/b', readonly: '' });
  });

  it('collects lifecycle commands in order, each hook an array', () => {
    assert.deepEqual(merged.onCreateCommands, ['echo base']);
    assert.deepEqual(merged.postCreateCommands, [['echo', 'feature'], { a: 'echo a' }]);
    assert.deepEqual(merged.postStartCommands, []);
    assert.deepEqual(lifecycleCommandsByHook([base, feature, config]).postCreateCommand, [
      { origin: './feature', command: ['echo', 'feature'] },
      { origin: 'devcontainer.json', command: { a: 'echo a' } },
    ]);
  });

  it('groups customizations per tool', () => {
    assert.deepEqual(merged.customizations, { vscode: [{ extensions: ['base'] }, { settings: { a: 1 } }], jetbrains: [{ x: 1 }] });
  });

  it('lets the last value win for scalars, per variable for env, per port for attributes', () => {
    assert.equal(merged.remoteUser, 'root');
    assert.equal(merged.waitFor, 'onCreateCommand');
    assert.equal(merged.overrideCommand, true);
    assert.equal(merged.updateRemoteUserUID, false);
    assert.deepEqual(merged.containerEnv, { A: 'base', B: 'config' });
    assert.deepEqual(merged.remoteEnv, { R: null });
    assert.deepEqual(merged.portsAttributes, { '3000': { label: 'config' }, '4000': { label: 'b4' } });
  });

  it('unions forwarded ports, 3000 and localhost:3000 being one', () => {
    assert.deepEqual(merged.forwardPorts, [3000, 'db:5432', 8080]);
  });

  it('takes the largest host requirement of each kind, in bytes', () => {
    assert.deepEqual(merged.hostRequirements, { cpus: 4, memory: String(4 * 2 ** 30), storage: String(10 * 2 ** 30), gpu: 'optional' });
    assert.equal(parseSize('3mb'), 3 * 2 ** 20);
    assert.equal(parseSize('12'), 12);
    assert.equal(parseSize('lots'), 0);
  });

  it('leaves out what nobody set', () => {
    const empty = mergeConfiguration({ image: 'i' }, []);
    assert.deepEqual(empty, {
      image: 'i',
      init: false,
      privileged: false,
      onCreateCommands: [],
      updateContentCommands: [],
      postCreateCommands: [],
      postStartCommands: [],
      postAttachCommands: [],
      remoteEnv: {},
      containerEnv: {},
      portsAttributes: {},
    });
  });
});

describe('the devcontainer.metadata label', () => {
  it('takes only metadata properties from devcontainer.json', () => {
    assert.deepEqual(configMetadataEntry({ image: 'x', name: 'n', remoteUser: 'u', runArgs: ['--x'], postStartCommand: 'p', features: { './f': {} } }), {
      remoteUser: 'u',
      postStartCommand: 'p',
    });
  });

  it('round-trips, and reads a single object or ignores malformed entries', () => {
    const entries: ImageMetadataEntry[] = [{ id: 'f', init: true }, { remoteUser: 'u' }];
    assert.deepEqual(parseMetadataLabel(serializeMetadataLabel(entries)), { entries });
    assert.deepEqual(parseMetadataLabel('{"remoteUser": "u"}'), { entries: [{ remoteUser: 'u' }] });
    const broken = parseMetadataLabel('[{"init": "yes"}, {"remoteUser": "u"}]');
    assert.deepEqual(broken.entries, [{ remoteUser: 'u' }]);
    assert.match(broken.problem ?? '', /1 malformed entry/);
    assert.match(parseMetadataLabel('[not json').problem ?? '', /not JSON/);
    assert.deepEqual(parseMetadataLabel(undefined), { entries: [] });
  });
});
