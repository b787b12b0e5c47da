// With --format json every command that prints data prints exactly one JSON
// document on stdout, a failure included: {"outcome":"error",code,message,hint?}
// — scripts parse stdout whatever happened. Run in-process, in situations
// that fail before any engine is reached.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import { memoryIo } from '../helpers/memory-io.js';

const home = mkdtempSync(path.join(tmpdir(), 'pks-json-error-'));
after(() => rmSync(home, { recursive: true, force: true }));
const pksHome = path.join(home, '.pks');
const brokenPksHome = path.join(home, 'broken-pks');
mkdirSync(brokenPksHome, { mode: 0o700 });
writeFileSync(path.join(brokenPksHome, 'remote-hosts.json'), '{ not json', { mode: 0o600 });
const missing = path.join(home, 'no-such-project');
const badConfig = path.join(home, 'bad-config');
mkdirSync(path.join(badConfig, '.devcontainer'), { recursive: true });
writeFileSync(path.join(badConfig, '.devcontainer', 'devcontainer.json'), '{ "image": ');

interface Case {
  argv: string[];
  code: string;
  exit: number;
  pksHome?: string;
}

const CASES: Case[] = [
  { argv: ['devcontainer', 'spawn', missing], code: 'E_PROJECT_NOT_FOUND', exit: 2 },
  { argv: ['devcontainer', 'list', '--remote', 'nope'], code: 'E_UNKNOWN_REMOTE', exit: 2 },
  { argv: ['devcontainer', 'list', '--remote', 'nope', '--all-remotes'], code: 'E_USAGE', exit: 2 },
  { argv: ['devcontainer', 'inspect', 'api', '--remote', 'nope'], code: 'E_UNKNOWN_REMOTE', exit: 2 },
  { argv: ['devcontainer', 'rebuild', 'api', '--remote', 'nope'], code: 'E_UNKNOWN_REMOTE', exit: 2 },
  { argv: ['devcontainer', 'config', missing], code: 'E_PROJECT_NOT_FOUND', exit: 1 },
  { argv: ['devcontainer', 'config', badConfig], code: 'E_CONFIG_SYNTAX', exit: 1 },
  { argv: ['remote', 'list'], code: 'E_HOSTS_FILE_INVALID', exit: 1, pksHome: brokenPksHome },
  { argv: ['remote', 'test', 'nope'], code: 'E_UNKNOWN_REMOTE', exit: 2 },
];

describe('--format json prints one JSON error outcome on stdout when a command fails', () => {
  for (const { argv, code, exit, pksHome: pksHomeOverride } of CASES) {
    it(`pks ${argv.join(' ').replaceAll(home, '<tmp>')} --format json`, async () => {
      const io = memoryIo({ HOME: home, PKS_HOME: pksHomeOverride ?? pksHome, PATH: process.env.PATH }, home);
      const exitCode = await runCli([...argv, '--format', 'json', '--log-format', 'json'], io);
      assert.equal(exitCode, exit, io.stderr.text);
      const outcome: unknown = JSON.parse(io.stdout.text);
      assert.ok(typeof outcome === 'object' && outcome !== null && !Array.isArray(outcome), io.stdout.text);
      const { outcome: kind, code: actual, message, hint, ...rest } = outcome as Record<string, unknown>;
      assert.equal(kind, 'error');
      assert.equal(actual, code, io.stdout.text);
      assert.equal(typeof message, 'string');
      assert.ok(hint === undefined || typeof hint === 'string');
      assert.deepEqual(rest, {});
      // The same error, once, on stderr.
      const records = io.stderr.text.trim().split('\n').map((line) => JSON.parse(line) as { level?: string; code?: string; message?: string });
      const errors = records.filter((record) => record.level === 'error');
      assert.equal(errors.length, 1, io.stderr.text);
      assert.equal(errors[0]?.code, code);
      assert.equal(errors[0]?.message, message);
    });
  }

  it('prints no outcome with the default format (stdout stays empty)', async () => {
    const io = memoryIo({ HOME: home, PKS_HOME: pksHome, PATH: process.env.PATH }, home);
    assert.equal(await runCli(['devcontainer', 'inspect', 'api', '--remote', 'nope'], io), 2);
    assert.equal(io.stdout.text, '');
  });
});
