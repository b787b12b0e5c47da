// The Compose process adapter (src/process/compose-cli.ts) against stand-in
// programs on a private PATH: which Compose it picks, the argv and
// environment it runs it with, which docker CLI it puts first for v1's
// BuildKit builds, and its errors.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import type { ComposeInvocation } from '../../src/core/compose/compose-tool.js';
import { composeCli } from '../../src/process/compose-cli.js';

const root = mkdtempSync(path.join(tmpdir(), 'pks-compose-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

function program(dir: string, name: string, script: string): string {
  const folder = path.join(root, dir);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, name), `#!/bin/sh\n${script}\n`);
  chmodSync(path.join(folder, name), 0o755);
  return folder;
}

// What the stand-in Compose prints: its argv and the environment that matters.
const REPORT = [
  'echo "ARGS=$*"',
  'echo "PATH=$PATH"',
  'echo "DOCKER_HOST=$DOCKER_HOST"',
  'echo "DOCKER_CONTEXT=${DOCKER_CONTEXT-unset}"',
  'echo "COMPOSE_PROJECT_NAME=$COMPOSE_PROJECT_NAME"',
  'echo "DOCKER_BUILDKIT=$DOCKER_BUILDKIT"',
  'echo "COMPOSE_DOCKER_CLI_BUILD=$COMPOSE_DOCKER_CLI_BUILD"',
  'echo "USER_VAR=$USER_VAR"',
].join('\n');

const v1 = program('v1', 'docker-compose', `
case "$*" in
  "version --short") echo 1.29.2 ;;
  *" config") printf 'services:\\n  app:\\n    image: x\\n' ;;
  *" fail") echo "Building app" >&2; echo "ERROR: Service 'app' failed to build" >&2; exit 3 ;;
  *) ${REPORT.replace(/\n/g, '\n    ')} ;;
esac`);
// A docker CLI of 28 without buildx (first on PATH), and one of 20.10 (BuildKit built in).
const newCli = program('new', 'docker', 'case "$1" in --version) echo "Docker version 28.2.2, build e6534b4" ;; *) exit 1 ;; esac');
const oldCli = program('old', 'docker', 'case "$1" in --version) echo "Docker version 20.10.24+dfsg1, build 297e128" ;; *) exit 1 ;; esac');
const plugin = program('v2', 'docker', `
case "$*" in
  "compose version --short") echo v2.29.1 ;;
  *) ${REPORT.replace(/\n/g, '\n    ')} ;;
esac`);

// The project's folder: Compose runs in the folder of the first file.
const project = path.join(root, 'p', '.devcontainer');
mkdirSync(project, { recursive: true });
const files = [path.join(project, 'docker-compose.yml'), '/home/me/.pks/compose/x/docker-compose.pks.json'];

const invocation = (lines: string[], extra: Partial<ComposeInvocation> = {}): ComposeInvocation => ({
  dockerHost: 'unix:///run/pks-test/docker.sock',
  projectName: 'pks-me-proj-12345678',
  files,
  onOutput: (line) => lines.push(line),
  ...extra,
});

const userEnv = (pathDirs: string[]): NodeJS.ProcessEnv => ({
  PATH: pathDirs.join(':'),
  DOCKER_HOST: 'tcp://elsewhere:2375',
  DOCKER_CONTEXT: 'other',
  COMPOSE_PROJECT_NAME: 'not-this-one',
  USER_VAR: 'kept for ${VAR} in the Compose files',
});

describe('the Compose process adapter', () => {
  it('v1: docker-compose with -p and -f, pks\'s DOCKER_HOST, the user\'s variables, and the BuildKit docker CLI first on PATH', async () => {
    const tool = composeCli(userEnv([newCli, oldCli, v1]));
    assert.equal(await tool.describe(), `docker-compose 1.29.2, building with BuildKit through ${oldCli}/docker`);
    const lines: string[] = [];
    await tool.run(invocation(lines), ['up', '-d', 'app', 'db']);
    const seen = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    assert.equal(seen['ARGS'], `-p pks-me-proj-12345678 -f ${files[0]} -f ${files[1]} up -d app db`);
    assert.equal(seen['PATH'], [oldCli, newCli, oldCli, v1].join(':'), 'the folder of the CLI with BuildKit comes first');
    assert.equal(seen['DOCKER_HOST'], 'unix:///run/pks-test/docker.sock');
    assert.equal(seen['DOCKER_CONTEXT'], 'unset');
    assert.equal(seen['COMPOSE_PROJECT_NAME'], 'pks-me-proj-12345678');
    assert.equal(seen['DOCKER_BUILDKIT'], '1');
    assert.equal(seen['COMPOSE_DOCKER_CLI_BUILD'], '1');
    assert.equal(seen['USER_VAR'], 'kept for ${VAR} in the Compose files');
  });

  it('v1 with no docker CLI that has BuildKit: the classic builder', async () => {
    // Only the CLI without buildx may be used (the machine's own are not looked at).
    const tool = composeCli({ ...userEnv([newCli, v1]), PKS_DOCKER_CLI: path.join(newCli, 'docker') });
    assert.match(await tool.describe(), /building with the classic builder/);
    const lines: string[] = [];
    await tool.run(invocation(lines), ['build']);
    assert.ok(lines.includes('DOCKER_BUILDKIT=0'), lines.join('\n'));
  });

  it('v2: the docker CLI\'s compose plugin is preferred, with the same arguments after the `compose` word', async () => {
    const tool = composeCli(userEnv([plugin, v1]));
    assert.equal(await tool.describe(), 'docker compose 2.29.1');
    const lines: string[] = [];
    await tool.run(invocation(lines), ['up', '--no-start']);
    assert.ok(lines.includes(`ARGS=compose -p pks-me-proj-12345678 -f ${files[0]} -f ${files[1]} up --no-start`), lines.join('\n'));
    assert.ok(lines.includes('DOCKER_BUILDKIT='), 'v2 builds its own way: no switches set');
  });

  it('config is parsed from YAML', async () => {
    const tool = composeCli(userEnv([v1]));
    assert.deepEqual(await tool.config(invocation([])), { services: { app: { image: 'x' } } });
  });

  it('a failing command is E_COMPOSE_FAILED with its last line in the message and its output in the details', async () => {
    const tool = composeCli(userEnv([v1]));
    await assert.rejects(tool.run(invocation([]), ['fail']), (error: unknown) => {
      assert.ok(isPksError(error));
      assert.equal(error.code, 'E_COMPOSE_FAILED');
      assert.equal(error.exitCode, 1);
      assert.match(error.message, /^docker-compose 1\.29\.2 fail failed \(exit 3\): ERROR: Service 'app' failed to build$/);
      assert.deepEqual(error.details, ['Building app', "ERROR: Service 'app' failed to build"]);
      return true;
    });
  });

  it('no Compose at all is E_COMPOSE_MISSING, with what to install', async () => {
    const tool = composeCli(userEnv([newCli]));
    await assert.rejects(tool.describe(), (error: unknown) => isPksError(error) && error.code === 'E_COMPOSE_MISSING' && /docker-compose/.test(error.hint ?? ''));
  });
});
