// Every package pks installs — runtime and development alike — supports every
// Node.js version package.json declares: `npm ci` on the oldest Node pks
// promises must neither warn EBADENGINE nor install something that cannot run.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import semver from 'semver';
import { z } from 'zod';
import { repoRoot } from '../helpers/test-env.js';

const Manifest = z.object({ engines: z.object({ node: z.string() }) });
const Lock = z.object({
  packages: z.record(z.string(), z.object({ version: z.string().optional(), engines: z.union([z.record(z.string(), z.string()), z.array(z.string())]).optional() })),
});

async function json(file: string): Promise<unknown> {
  return JSON.parse(await readFile(`${repoRoot}/${file}`, 'utf8')) as unknown;
}

describe('dependency engines', () => {
  it('package.json declares a Node range, and every locked package with an engines.node range covers it', async () => {
    const ours = Manifest.parse(await json('package.json')).engines.node;
    assert.ok(semver.validRange(ours), `package.json engines.node "${ours}" is not a semver range`);
    const lock = Lock.parse(await json('package-lock.json'));
    const checked: string[] = [];
    const narrower: string[] = [];
    for (const [where, entry] of Object.entries(lock.packages)) {
      if (where === '' || entry.engines === undefined || Array.isArray(entry.engines)) continue;
      const theirs = entry.engines['node'];
      if (theirs === undefined) continue;
      checked.push(where);
      if (!semver.subset(ours, theirs)) narrower.push(`${where}@${entry.version ?? '?'} needs node ${theirs}`);
    }
    assert.ok(checked.length > 10, `expected the lock file to name many engines ranges, found ${checked.length}`);
    assert.deepEqual(narrower, [], `packages that do not support node ${ours}`);
  });

  it('the check itself tells a narrower range from one that covers', () => {
    assert.equal(semver.subset('>=20', '>=22.12'), false);
    assert.equal(semver.subset('>=20', '>=18'), true);
    assert.equal(semver.subset('>=20', '^18 || >=20'), true);
  });
});

describe("pks doctor's Node.js check", () => {
  it('names the range package.json declares, and agrees with it on every version', async () => {
    const { NODE_RANGE, nodeSupported } = await import('../../src/cli/commands/doctor/doctor-run.js');
    const ours = Manifest.parse(await json('package.json')).engines.node;
    assert.equal(NODE_RANGE, ours);
    for (const version of ['18.20.0', '20.0.0', '20.18.9', '20.19.0', '20.20.2', '21.7.0', '22.12.0', '22.13.0', '23.1.0', '24.0.0', '25.2.1']) {
      assert.equal(nodeSupported(`v${version}`), semver.satisfies(version, ours), version);
    }
  });
});
