// pks reads devcontainer.json like the reference implementation: for every
// fixture under test/fixtures/devcontainer, `pks devcontainer config --format
// json` is compared with `devcontainer read-configuration
// --include-merged-configuration` of @devcontainers/cli (a dev dependency,
// never used at run time). The reference wants a docker CLI to look for an
// existing container and the base image's labels; a stub answers "no
// container" and "an image without metadata", so no engine is involved.
// Differences that remain by design are listed in README "Known gaps against
// the reference CLI"; the normalisations below are exactly those.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import { memoryIo } from '../helpers/memory-io.js';

const run = promisify(execFile);
const fixtures = path.resolve('test/fixtures/devcontainer');
const referenceCli = path.resolve('node_modules/@devcontainers/cli/devcontainer.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'pks-dc-reference-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const env: NodeJS.ProcessEnv = { ...process.env, PKS_FIXTURE_VALUE: 'from-env', PKS_FIXTURE_USER: 'alice' };
delete env['PKS_FIXTURE_MISSING'];
delete env['PKS_FIXTURE_VARIANT'];

/** Which configuration of a fixture to read (the default one unless it has several). */
const CONFIG_OF: Record<string, string> = { 'named-configs': '.devcontainer/python/devcontainer.json' };

const STUB_DOCKER = `#!/bin/sh
case "$1" in
  ps) exit 0 ;;
  inspect) echo '[{"Id":"sha256:${'0'.repeat(64)}","Architecture":"amd64","Os":"linux","Config":{"User":"","Env":["PATH=/usr/bin:/bin"],"Labels":null}}]' ;;
  *) echo "stub docker: unexpected: $*" >&2; exit 1 ;;
esac
`;

type Json = Record<string, unknown>;

interface Outputs {
  pks: Json;
  reference: Json;
}

const names = readdirSync(fixtures).sort();
const outputs = new Map<string, Outputs>();

async function readBoth(name: string, stub: string): Promise<Outputs> {
  const dir = path.join(fixtures, name);
  const config = CONFIG_OF[name];
  const configArgs = config === undefined ? [] : ['--config', path.join(dir, config)];
  const { stdout } = await run(
    process.execPath,
    [referenceCli, 'read-configuration', '--docker-path', stub, '--workspace-folder', dir, '--mount-workspace-git-root', 'false',
      '--include-merged-configuration', '--include-features-configuration', '--log-level', 'info', ...configArgs],
    { env, maxBuffer: 16 * 1024 * 1024 },
  );
  const io = memoryIo(env, process.cwd());
  const code = await runCli(['devcontainer', 'config', dir, '--format', 'json', ...configArgs], io);
  assert.equal(code, 0, io.stderr.text);
  return { pks: JSON.parse(io.stdout.text) as Json, reference: JSON.parse(stdout) as Json };
}

/** The known gaps, applied to pks's side. */
function normalise(value: unknown, devcontainerId: string): unknown {
  // The reference substitutes ${devcontainerId} only when it creates the container.
  return JSON.parse(JSON.stringify(value).split(devcontainerId).join('${devcontainerId}'));
}

function withoutConfigFilePath(value: unknown): Json {
  const copy = { ...(value as Json) };
  delete copy['configFilePath'];
  return copy;
}

before(async () => {
  const stub = path.join(tmp, 'docker');
  writeFileSync(stub, STUB_DOCKER);
  chmodSync(stub, 0o755);
  const results = await Promise.all(names.map(async (name) => [name, await readBoth(name, stub)] as const));
  for (const [name, result] of results) outputs.set(name, result);
});

describe('pks devcontainer config agrees with the reference read-configuration', () => {
  it('covers at least 10 fixtures', () => {
    assert.ok(names.length >= 10, `only ${names.length} fixtures`);
  });

  for (const name of names) {
    describe(name, () => {
      const get = (): Outputs => {
        const result = outputs.get(name);
        assert.ok(result, 'outputs were read');
        return result;
      };

      it('merged configuration', () => {
        const { pks, reference } = get();
        const ours = normalise(pks['mergedConfiguration'], String(pks['devcontainerId']));
        assert.deepEqual(ours, withoutConfigFilePath(reference['mergedConfiguration']));
      });

      it('substituted configuration', () => {
        const { pks, reference } = get();
        const ours = normalise(pks['configuration'], String(pks['devcontainerId']));
        assert.deepEqual(ours, withoutConfigFilePath(reference['configuration']));
      });

      it('workspace folder', () => {
        const { pks, reference } = get();
        assert.equal(pks['workspaceFolder'], (reference['workspace'] as Json)['workspaceFolder']);
      });

      it('Features, their installation order and options', () => {
        const { pks, reference } = get();
        const sets = ((reference['featuresConfiguration'] as Json | undefined)?.['featureSets'] ?? []) as Json[];
        const theirs = sets.map((set) => {
          const feature = (set['features'] as Json[])[0] as Json;
          return { id: (set['sourceInformation'] as Json)['userFeatureId'], value: feature['value'], version: feature['version'] };
        });
        const ours = (pks['features'] as Json[]).map((feature) => ({ id: feature['id'], version: feature['version'] }));
        assert.deepEqual(ours, theirs.map(({ id, version }) => ({ id, version })));
        // The options each got: pks lists them with defaults filled in.
        theirs.forEach(({ value }, i) => {
          const given = typeof value === 'string' ? { version: value } : typeof value === 'object' && value !== null ? (value as Json) : {};
          const options = (pks['features'] as Json[])[i]?.['options'] as Json;
          for (const [key, option] of Object.entries(given)) assert.equal(options[key], option, `option ${key} of Feature ${i}`);
        });
      });
    });
  }
});
