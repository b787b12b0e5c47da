// Feature references, options, dependency ordering and resolution (with a
// fake registry).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { orderFeatures, type OrderNode } from '../../src/devcontainer/feature-order.js';
import { effectiveOptions, optionEnvName, optionsEnvFile, userOptions } from '../../src/devcontainer/feature-options.js';
import { parseFeatureRef, parseOciFeatureRef, type FeatureRef } from '../../src/devcontainer/feature-ref.js';
import { resolveFeatures } from '../../src/devcontainer/feature-resolve.js';
import type { FeatureFetcher } from '../../src/devcontainer/oci/feature-fetcher.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'pks-dc-features-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('Feature references', () => {
  it('parses OCI references with tag, digest or neither', () => {
    const tagged = parseOciFeatureRef('ghcr.io/devcontainers/features/node:1');
    assert.deepEqual(
      { registry: tagged.registry, repository: tagged.repository, id: tagged.id, resource: tagged.resource, tag: tagged.tag },
      { registry: 'ghcr.io', repository: 'devcontainers/features/node', id: 'node', resource: 'ghcr.io/devcontainers/features/node', tag: '1' },
    );
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.equal(parseOciFeatureRef(`127.0.0.1:5000/f/x@${digest}`).digest, digest);
    const bare = parseOciFeatureRef('localhost:5000/team/tool');
    assert.equal(bare.registry, 'localhost:5000');
    assert.equal(bare.tag, undefined);
  });

  it('resolves local references against the config folder and keeps them in the project', () => {
    const ref = parseFeatureRef('./features/a', '/p/.devcontainer', '/p');
    assert.deepEqual(ref, { kind: 'local', userId: './features/a', path: '/p/.devcontainer/features/a' });
    assert.throws(() => parseFeatureRef('../../elsewhere', '/p/.devcontainer', '/p'), /outside the project/);
  });

  it('refuses legacy, GitHub-release and malformed references with a hint; a tarball URL is a reference of its own', () => {
    const code = (id: string) => {
      try {
        parseFeatureRef(id, '/p/.devcontainer', '/p');
      } catch (error) {
        assert.ok(isPksError(error));
        return `${error.code}: ${error.message}`;
      }
      return 'accepted';
    };
    assert.match(code('node'), /E_FEATURE_REF: .*bare ids are legacy/);
    assert.match(code('owner/repo/feature@v1'), /E_FEATURE_REF: .*(GitHub release|not a registry)/);
    assert.equal(code('https://example.com/f.tgz'), 'accepted');
    assert.match(code('https://exa mple.com/f.tgz'), /E_FEATURE_REF: .*not a valid URL/);
    assert.match(code('ghcr.io/Bad Name/x'), /not a valid repository name/);
    assert.match(code('ghcr.io/x/y@sha256:123'), /not a sha256 digest/);
  });
});

describe('Feature options', () => {
  const metadata = {
    id: 'f',
    options: {
      version: { type: 'string' as const, default: 'latest' },
      flavor: { type: 'string' as const, enum: ['a', 'b'], default: 'a' },
      'install-tools': { type: 'boolean' as const, default: true },
    },
  };

  it('reads the value as options, a version string, or a bare true', () => {
    assert.deepEqual(userOptions({ flavor: 'b', n: 3 }), { flavor: 'b', n: '3' });
    assert.deepEqual(userOptions('1.2'), { version: '1.2' });
    assert.deepEqual(userOptions(true), {});
  });

  it('merges defaults under the given options and checks enums', () => {
    assert.deepEqual(effectiveOptions(metadata, { flavor: 'b' }, 'f'), { version: 'latest', flavor: 'b', 'install-tools': true });
    assert.throws(() => effectiveOptions(metadata, { flavor: 'c' }, './f'), /does not accept flavor="c"[\s\S]*/);
  });

  it('names variables by the spec rule and quotes values for sh', () => {
    assert.equal(optionEnvName('install-tools'), 'INSTALL_TOOLS');
    assert.equal(optionEnvName('9lives'), '_LIVES');
    assert.equal(optionEnvName('__x.y'), '_X_Y');
    assert.equal(optionsEnvFile({ version: "it's", b: true }), "B='true'\nVERSION='it'\\''s'\n");
  });
});

function node(userId: string, extra: Partial<OrderNode> = {}): OrderNode {
  const ref: FeatureRef = userId.startsWith('./') ? { kind: 'local', userId, path: `/p/.devcontainer/${userId.slice(2)}` } : parseOciFeatureRef(userId);
  return { ref, given: {}, dependsOn: [], installsAfter: [], ...extra };
}
const ids = (nodes: readonly OrderNode[]) => nodes.map((n) => `${n.ref.userId}${Object.keys(n.given).length > 0 ? JSON.stringify(n.given) : ''}`);

describe('Feature installation order', () => {
  it('sorts each round by resource or path', () => {
    assert.deepEqual(ids(orderFeatures([node('./c'), node('./a'), node('./b')])), ['./a', './b', './c']);
    assert.deepEqual(ids(orderFeatures([node('r.io/x/zeta:1'), node('r.io/x/alpha:1')])), ['r.io/x/alpha:1', 'r.io/x/zeta:1']);
  });

  it('honours installsAfter only towards queued Features, ignoring versions', () => {
    const a = node('./a', { installsAfter: [parseFeatureRef('./z', '/p/.devcontainer', '/p'), parseOciFeatureRef('r.io/x/absent')] });
    const o = node('r.io/x/omega:2', { installsAfter: [] });
    const b = node('./b', { installsAfter: [parseOciFeatureRef('r.io/x/omega:1')] });
    assert.deepEqual(ids(orderFeatures([a, node('./z'), b, o])), ['./z', 'r.io/x/omega:2', './a', './b']);
  });

  it('matches installsAfter against legacy ids', () => {
    const renamed = node('r.io/x/new-name:1', { legacyIds: ['old-name'] });
    const a = node('./a', { installsAfter: [parseOciFeatureRef('r.io/x/old-name')] });
    assert.deepEqual(ids(orderFeatures([a, renamed])), ['r.io/x/new-name:1', './a']);
  });

  it('installs dependsOn first, the same Feature with fewer options first', () => {
    const common = node('./common');
    const low = node('./lib', { given: { level: 'low' }, dependsOn: [common] });
    const high = node('./lib', { given: { level: 'high' }, dependsOn: [common] });
    const app = node('./app', { dependsOn: [low, common] });
    assert.deepEqual(ids(orderFeatures([app, high, low, common])), ['./common', './lib{"level":"high"}', './lib{"level":"low"}', './app']);
  });

  it('lets overrideFeatureInstallOrder pull Features forward, never before their dependencies', () => {
    const b = node('./b');
    const d = node('./d', { installsAfter: [b.ref] });
    const override = [parseFeatureRef('./d', '/p/.devcontainer', '/p'), parseFeatureRef('./c', '/p/.devcontainer', '/p')];
    assert.deepEqual(ids(orderFeatures([node('./a'), b, node('./c'), d], override)), ['./c', './a', './b', './d']);
  });

  it('reports a cycle with the Features involved', () => {
    const a = node('./a');
    const b = node('./b', { dependsOn: [a] });
    a.dependsOn.push(b);
    assert.throws(() => orderFeatures([a, b, node('./free')]), (error) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_FEATURE_CYCLE');
      assert.match(error.message, /cycle among \.\/a, \.\/b\.$/);
      assert.match(error.hint ?? '', /dependsOn/);
      return true;
    });
  });
});

function writeFeature(dir: string, metadata: object): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'devcontainer-feature.json'), JSON.stringify(metadata));
  writeFileSync(path.join(dir, 'install.sh'), '#!/bin/sh\n', { mode: 0o755 });
}

/** A registry in memory: manifests carry the metadata annotation. */
function fakeFetcher(features: Record<string, object>): FeatureFetcher & { resolved: string[] } {
  const resolved: string[] = [];
  return {
    resolved,
    async resolve(ref) {
      resolved.push(ref.userId);
      const metadata = features[ref.resource];
      if (metadata === undefined) throw new Error(`not found: ${ref.resource}`);
      const digest = `sha256:${Buffer.from(ref.resource).toString('hex').padEnd(64, '0').slice(0, 64)}`;
      return { manifestDigest: digest, layerDigest: digest, annotatedMetadata: metadata };
    },
    async folder() {
      throw new Error('no download expected');
    },
    async tarball() {
      throw new Error('no tarball expected');
    },
  };
}

describe('resolving Features', () => {
  it('reads local metadata, fetches published ones, follows dependsOn and keeps identical Features once', async () => {
    const project = path.join(tmp, 'resolve');
    const configDir = path.join(project, '.devcontainer');
    writeFeature(path.join(configDir, 'local'), { id: 'local', version: '1.0.0', dependsOn: { 'r.io/f/base:1': { x: 'y' } }, options: { o: { type: 'string', default: 'd' } } });
    const fetcher = fakeFetcher({
      'r.io/f/base': { id: 'base', version: '1.0.0', options: { x: { type: 'string', default: 'none' } } },
      'r.io/f/tool': { id: 'tool', version: '2.0.0', dependsOn: { 'r.io/f/base:1': { x: 'y' } }, installsAfter: ['node'] },
    });
    const { features, warnings } = await resolveFeatures({
      features: { 'r.io/f/tool:2': {}, './local': { o: 'given' } },
      configDir,
      projectPath: project,
      fetcher,
    });
    assert.deepEqual(
      features.map((f) => [f.userId, f.options, f.userDefined]),
      [
        ['r.io/f/base:1', { x: 'y' }, false],
        ['./local', { o: 'given' }, true],
        ['r.io/f/tool:2', {}, true],
      ],
    );
    assert.equal(fetcher.resolved.filter((id) => id === 'r.io/f/base:1').length, 1, 'one manifest request per reference');
    assert.equal(features[0]?.manifestDigest?.startsWith('sha256:'), true);
    assert.deepEqual(warnings.map((w) => w.code), ['W_FEATURE_INSTALLS_AFTER']);
  });

  it('says which local Feature is missing, and which metadata is invalid', async () => {
    const project = path.join(tmp, 'missing');
    const configDir = path.join(project, '.devcontainer');
    writeFeature(path.join(configDir, 'bad'), { id: 'bad', options: { o: { type: 'number' } } });
    const resolve = (features: Record<string, Record<string, string>>) => resolveFeatures({ features, configDir, projectPath: project, fetcher: fakeFetcher({}) });
    await assert.rejects(resolve({ './nope': {} }), /The local Feature "\.\/nope" has no devcontainer-feature\.json/);
    await assert.rejects(resolve({ './bad': {} }), /\.devcontainer\/bad\/devcontainer-feature\.json is not a valid devcontainer-feature\.json[\s\S]*"options\.o"/);
  });

  it('detects a dependsOn cycle between local Features', async () => {
    const project = path.join(tmp, 'cycle');
    const configDir = path.join(project, '.devcontainer');
    writeFeature(path.join(configDir, 'a'), { id: 'a', dependsOn: { './b': {} } });
    writeFeature(path.join(configDir, 'b'), { id: 'b', dependsOn: { './a': {} } });
    await assert.rejects(resolveFeatures({ features: { './a': {} }, configDir, projectPath: project, fetcher: fakeFetcher({}) }), /E_FEATURE_CYCLE|cycle among \.\/a, \.\/b/);
  });
});
