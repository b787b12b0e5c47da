// `pks devcontainer config` and `pks devcontainer validate`, run in-process.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Prompter } from '../../src/cli/prompter.js';
import { runCli } from '../../src/cli/program.js';
import { memoryIo } from '../helpers/memory-io.js';

const fixtures = path.resolve('test/fixtures/devcontainer');
const tmp = mkdtempSync(path.join(tmpdir(), 'pks-dc-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function pks(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; prompter?: Prompter } = {}) {
  const io = memoryIo(options.env ?? { HOME: '/home/test' }, options.cwd ?? process.cwd());
  const code = await runCli(argv, io, options.prompter === undefined ? {} : { prompter: options.prompter });
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

/** A terminal whose picker answers with `pick` and records each question with its choices. */
function terminal(pick: (choices: readonly string[]) => number): { questions: string[]; prompter: Prompter } {
  const questions: string[] = [];
  const prompter: Prompter = {
    interactive: true,
    confirm: async () => true,
    secret: async () => '',
    select: async (question, choices) => {
      questions.push(`${question} ${choices.join(' | ')}`);
      return pick(choices);
    },
  };
  return { questions, prompter };
}

function write(dir: string, files: Record<string, string>): string {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describe('pks devcontainer config', () => {
  it('prints a summary with the hash as a table by default', async () => {
    const result = await pks(['devcontainer', 'config', path.join(fixtures, 'image-basic')]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Config file +\.devcontainer\/devcontainer\.json$/m);
    assert.match(result.stdout, /^Source +image pks-test\/debian:bookworm$/m);
    assert.match(result.stdout, /^Workspace folder +\/workspaces\/image-basic$/m);
    assert.match(result.stdout, /^Config hash +[0-9a-f]{64}$/m);
    assert.equal(result.stderr, '');
  });

  it('prints the resolved and merged configuration as JSON, data only on stdout', async () => {
    const result = await pks(['dc', 'config', path.join(fixtures, 'local-features'), '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const doc = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc), [
      'projectPath', 'configFile', 'configHash', 'devcontainerId', 'workspaceFolder', 'source', 'features',
      'configuration', 'mergedConfiguration', 'hashInputs', 'warnings',
    ]);
    assert.match(String(doc['configHash']), /^[0-9a-f]{64}$/);
    const features = doc['features'] as Array<{ id: string; options: Record<string, unknown> }>;
    assert.deepEqual(features.map((f) => f.id), ['./features/base', './features/tools']);
    assert.deepEqual(features[1]?.options, { flavor: 'full', enabled: false });
    const merged = doc['mergedConfiguration'] as Record<string, unknown>;
    assert.equal(merged['privileged'], true);
    assert.deepEqual(merged['entrypoints'], ['/opt/base/entrypoint.sh']);
  });

  it('takes --config for a project with several configurations', async () => {
    const project = path.join(fixtures, 'named-configs');
    const result = await pks(['dc', 'config', project, '--config', path.join(project, '.devcontainer/node/devcontainer.json'), '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { configuration: { name: string } }).configuration.name, 'node');
  });

  it('without a terminal, lists the candidates and exits 2', async () => {
    const result = await pks(['dc', 'config', '.'], { cwd: path.join(fixtures, 'named-configs') });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /has 2 dev container configurations; choose one with --config\.[\s\S]*--config \.devcontainer\/node\/devcontainer\.json\n {4}--config \.devcontainer\/python\/devcontainer\.json/);
    assert.equal(result.stdout, '');
  });

  for (const [where, defaultFile] of [
    ['.devcontainer/devcontainer.json next to named ones', '.devcontainer/devcontainer.json'],
    ['.devcontainer.json at the root next to named ones', '.devcontainer.json'],
  ] as const) {
    it(`without a terminal, takes ${where} as the default and names the others`, async () => {
      const dir = write(path.join(tmp, `default-${defaultFile.length}`), {
        [defaultFile]: '{"name": "default", "image": "x"}',
        '.devcontainer/node/devcontainer.json': '{"name": "node", "image": "x"}',
        '.devcontainer/python/devcontainer.json': '{"name": "python", "image": "x"}',
      });
      for (const command of [['config', '.', '--format', 'json'], ['validate', '.']]) {
        const result = await pks(['dc', ...command], { cwd: dir });
        assert.equal(result.code, 0, `${command.join(' ')}: ${result.stderr}`);
        assert.ok(
          result.stderr.includes(`${defaultFile}: used as the default; this project also has .devcontainer/node/devcontainer.json, .devcontainer/python/devcontainer.json (choose one with --config <file>)`),
          result.stderr,
        );
        if (command[0] === 'config') assert.equal((JSON.parse(result.stdout) as { configuration: { name: string } }).configuration.name, 'default');
      }
    });
  }

  it('on a terminal, offers the default first', async () => {
    const dir = write(path.join(tmp, 'default-picker'), {
      '.devcontainer/devcontainer.json': '{"name": "default", "image": "x"}',
      '.devcontainer/node/devcontainer.json': '{"name": "node", "image": "x"}',
    });
    const { questions, prompter } = terminal(() => 0);
    const result = await pks(['dc', 'config', '.', '--format', 'json'], { cwd: dir, prompter });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(questions, ['This project has several dev container configurations. Which one? .devcontainer/devcontainer.json (default) | .devcontainer/node/devcontainer.json']);
    assert.equal((JSON.parse(result.stdout) as { configuration: { name: string } }).configuration.name, 'default');
    assert.doesNotMatch(result.stderr, /used as the default/, 'a choice made on the terminal needs no warning');
  });

  it('on a terminal, asks which configuration to use', async () => {
    const { questions, prompter } = terminal((choices) => choices.indexOf('.devcontainer/python/devcontainer.json'));
    const result = await pks(['dc', 'config', '.', '--format', 'json'], { cwd: path.join(fixtures, 'named-configs'), prompter });
    assert.equal(result.code, 0, result.stderr);
    assert.match(questions[0] ?? '', /Which one\? \.devcontainer\/node\/devcontainer\.json \| \.devcontainer\/python\/devcontainer\.json/);
    assert.equal((JSON.parse(result.stdout) as { configuration: { name: string } }).configuration.name, 'python');
  });

  it('explains where it looked when there is no configuration', async () => {
    const result = await pks(['dc', 'config', write(path.join(tmp, 'empty'), { 'x.txt': '' })]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: No dev container configuration found in .*empty\.\n {2}hint: pks looked for \.devcontainer\/devcontainer\.json/);
  });

  it('fails with file:line:column on a syntax error', async () => {
    const dir = write(path.join(tmp, 'syntax'), { '.devcontainer/devcontainer.json': '{\n  "image": "x"\n  "name": "y"\n}\n' });
    const result = await pks(['dc', 'config', '.'], { cwd: dir });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error: \.devcontainer\/devcontainer\.json:3:3: syntax error: a comma was expected/);
  });
});

describe('pks devcontainer validate', () => {
  it('exits 0 for a valid configuration, with the warnings on stderr', async () => {
    const dir = write(path.join(tmp, 'warn'), { '.devcontainer/devcontainer.json': '{"image": "x", "extensions": ["a"], "imagee": 1}' });
    const result = await pks(['dc', 'validate', '.'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /"extensions"/, 'a legacy VS Code property is read, not ignored');
    assert.match(result.stderr, /unknown property "imagee" is ignored \(did you mean "image"\?\)/);
    assert.match(result.stderr, /✔ \.devcontainer\/devcontainer\.json is valid \(1 warning\)\.\n$/);
    assert.equal(result.stdout, '');
  });

  it('reads top-level extensions, settings and devPort as customizations.vscode, as VS Code does, without changing the hash', async () => {
    const legacy = write(path.join(tmp, 'legacy'), {
      '.devcontainer/devcontainer.json': JSON.stringify({
        image: 'x',
        extensions: ['old.one'],
        settings: { 'a.b': 1, shared: 'top' },
        devPort: 9000,
        customizations: { vscode: { extensions: ['new.one'], settings: { shared: 'customizations' } } },
      }),
    });
    const result = await pks(['dc', 'config', '.', '--format', 'json'], { cwd: legacy });
    assert.equal(result.code, 0, result.stderr);
    const doc = JSON.parse(result.stdout) as { configHash: string; mergedConfiguration: { customizations: { vscode: unknown[] } } };
    assert.deepEqual(doc.mergedConfiguration.customizations.vscode, [
      { extensions: ['new.one', 'old.one'], settings: { 'a.b': 1, shared: 'customizations' }, devPort: 9000 },
    ]);
    assert.doesNotMatch(result.stderr, /unknown property/);
    // The same file without them hashes the same: containers made before are not rebuilt for it.
    const modern = write(path.join(tmp, 'legacy-free'), {
      '.devcontainer/devcontainer.json': JSON.stringify({ image: 'x', customizations: { vscode: { extensions: ['new.one'], settings: { shared: 'customizations' } } } }),
    });
    const plain = await pks(['dc', 'config', '.', '--format', 'json'], { cwd: modern });
    assert.equal((JSON.parse(plain.stdout) as { configHash: string }).configHash, doc.configHash);
  });

  it('works offline: a published Feature whose registry cannot be reached is a warning, and the hash is unknown', async () => {
    const dir = write(path.join(tmp, 'offline'), {
      '.devcontainer/devcontainer.json': JSON.stringify({ image: 'x', features: { 'localhost:1/team/tool:1': {}, './local': {} } }),
      '.devcontainer/local/devcontainer-feature.json': '{"id": "local", "version": "1.0.0"}',
      '.devcontainer/local/install.sh': '#!/bin/sh\n',
    });
    const env = { HOME: path.join(tmp, 'offline-home') };
    const validate = await pks(['dc', 'validate', '.'], { cwd: dir, env });
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stderr, /warning: localhost:1\/team\/tool:1: Feature "localhost:1\/team\/tool:1" was not checked: Cannot reach the registry localhost:1/);
    assert.match(validate.stderr, /is valid \(1 warning\)\.\n$/);
    const config = await pks(['dc', 'config', '.', '--format', 'json'], { cwd: dir, env });
    assert.equal(config.code, 0, config.stderr);
    const doc = JSON.parse(config.stdout) as { configHash: string | null; features: Array<{ id: string }> };
    assert.equal(doc.configHash, null);
    assert.deepEqual(doc.features.map((f) => f.id), ['./local'], 'the rest of the configuration is still read');
    const table = await pks(['dc', 'config', '.'], { cwd: dir, env });
    assert.match(table.stdout, /^Config hash +unknown \(Features not resolved: localhost:1\/team\/tool:1\)$/m);
  });

  it('still warns about a legacy property of the wrong type', async () => {
    const dir = write(path.join(tmp, 'legacy-bad'), { '.devcontainer/devcontainer.json': '{"image": "x", "extensions": "one"}' });
    const result = await pks(['dc', 'validate', '.'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /unknown property "extensions" is ignored \(move it into "customizations"/);
  });

  it('--format json: the verdict and every warning on stdout; an invalid configuration is the error outcome', async () => {
    const dir = write(path.join(tmp, 'validate-json'), { '.devcontainer/devcontainer.json': '{"image": "x", "imagee": 1, "runArgs": ["--ulimit", "nofile=1024:2048"]}' });
    const result = await pks(['dc', 'validate', '.', '--format', 'json'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const doc = JSON.parse(result.stdout) as { configFile: string; valid: boolean; warnings: Array<{ code: string; message: string }> };
    assert.equal(doc.valid, true);
    assert.equal(doc.configFile, path.join(dir, '.devcontainer/devcontainer.json'));
    assert.deepEqual(doc.warnings.map((w) => w.code), ['W_UNKNOWN_PROPERTY', 'W_UNSUPPORTED']);
    const bad = write(path.join(tmp, 'validate-json-bad'), { '.devcontainer/devcontainer.json': '{"image": 42}' });
    const invalid = await pks(['dc', 'validate', '.', '--format', 'json'], { cwd: bad });
    assert.equal(invalid.code, 1);
    assert.equal((JSON.parse(invalid.stdout) as { outcome: string; code: string }).code, 'E_CONFIG_INVALID');
  });

  it('says which runArgs spawn would ignore, and which settings pks does not apply', async () => {
    const dir = write(path.join(tmp, 'runargs'), { '.devcontainer/devcontainer.json': '{"image": "x", "runArgs": ["--cap-add", "SYS_PTRACE", "--ulimit", "nofile=1024:2048"], "userEnvProbe": "loginInteractiveShell"}' });
    const result = await pks(['dc', 'validate', '.'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /warning: runArgs not supported by pks, ignored: --ulimit nofile=1024:2048\n/);
    assert.match(result.stderr, /"userEnvProbe" is not applied/);
    assert.match(result.stderr, /is valid \(2 warnings\)\.\n$/);
  });

  it('exits 1 listing every schema error', async () => {
    const dir = write(path.join(tmp, 'invalid'), { '.devcontainer.json': '{"image": "x", "remoteUser": 7, "capAdd": "SYS_ADMIN"}' });
    const result = await pks(['dc', 'validate', dir]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /2 problems/);
    assert.match(result.stderr, /"remoteUser": expected string, received number/);
    assert.match(result.stderr, /"capAdd": expected array, received string/);
  });

  it('exits 1 when the Dockerfile is missing or the context leaves the project', async () => {
    const missing = write(path.join(tmp, 'nodockerfile'), { '.devcontainer/devcontainer.json': '{"build": {"dockerfile": "Dockerfile"}}' });
    const result = await pks(['dc', 'validate', missing]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /The Dockerfile \.devcontainer\/Dockerfile does not exist/);
    const outside = write(path.join(tmp, 'outside'), { '.devcontainer/devcontainer.json': '{"build": {"dockerfile": "Dockerfile", "context": "../.."}}', '.devcontainer/Dockerfile': 'FROM x\n' });
    const second = await pks(['dc', 'validate', outside]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /build context .* is outside the project/);
  });

  it('exits 1 on a cyclic Feature dependency', async () => {
    const dir = write(path.join(tmp, 'cyclic'), {
      '.devcontainer/devcontainer.json': '{"image": "x", "features": {"./a": {}}}',
      '.devcontainer/a/devcontainer-feature.json': '{"id": "a", "installsAfter": ["./b"], "dependsOn": {"./b": {}}}',
      '.devcontainer/b/devcontainer-feature.json': '{"id": "b", "dependsOn": {"./a": {}}}',
    });
    const result = await pks(['dc', 'validate', dir]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cycle among/);
  });
});
