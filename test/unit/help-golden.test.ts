// The help text of every command, compared with the files in test/golden/help/:
// a change to a command's flags, descriptions or examples shows up here and is
// made on purpose. After a deliberate change, refresh the files with
// PKS_UPDATE_GOLDEN=1 and review the diff.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import { memoryIo } from '../helpers/memory-io.js';

const GOLDEN = path.resolve('test/golden/help');

const DEVCONTAINER_VERBS = ['spawn', 'list', 'connect', 'shell', 'forward', 'stop', 'start', 'restart', 'logs', 'exec', 'rm', 'rebuild', 'prune', 'inspect', 'config', 'validate'];
const REMOTE_VERBS = ['add', 'list', 'test', 'default', 'env', 'disconnect', 'remove'];

const COMMANDS: string[][] = [
  [],
  ['devcontainer'],
  ...DEVCONTAINER_VERBS.map((verb) => ['devcontainer', verb]),
  ['remote'],
  ...REMOTE_VERBS.map((verb) => ['remote', verb]),
  ['doctor'],
  ['completion'],
];

describe('help output matches the golden files', () => {
  for (const command of COMMANDS) {
    const name = ['pks', ...command].join(' ');
    it(`${name} --help`, async () => {
      const io = memoryIo({ HOME: '/home/test' });
      const code = await runCli([...command, '--help'], io);
      assert.equal(code, 0, io.stderr.text);
      assert.equal(io.stderr.text, '');
      const file = path.join(GOLDEN, `${['pks', ...command].join('-')}.txt`);
      if (process.env.PKS_UPDATE_GOLDEN === '1') writeFileSync(file, io.stdout.text);
      assert.equal(io.stdout.text, readFileSync(file, 'utf8'), `${name} --help changed (PKS_UPDATE_GOLDEN=1 refreshes ${path.relative(process.cwd(), file)})`);
    });
  }
});
