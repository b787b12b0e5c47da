// BuildKit builds without an engine: the `--progress=plain` reader (current
// step, counts, the failing step's output), build.options for the docker CLI
// (passed through as --flag=value, unsafe or irrelevant flags refused, local
// sources kept inside the project), the argument order, and which docker CLI
// is found (the real CLIs of this machine).
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { buildkitOptions, classifyBuildkitOptions, runArgsPlatform } from '../../src/devcontainer/buildkit-options.js';
import { buildkitArgs, buildWithBuildkit, chooseBuilder, type BuildkitCli } from '../../src/image/buildkit-build.js';
import type { EngineClient, EngineVersion } from '../../src/engine/index.js';
import { BuildkitProgress } from '../../src/image/buildkit-progress.js';
import { findBuildkitCli } from '../../src/process/docker-cli.js';

/** Output of `DOCKER_BUILDKIT=1 docker build --progress=plain` (CLI 20.10) for a build whose last step fails. */
const FAILED_BUILD = `#1 [internal] load build definition from Dockerfile
#1 sha256:41c11b3ab06e1874c61ef83d813bfcaa3d9e94e3c9de27ba0871bc70308d0466
#1 transferring dockerfile: 277B done
#1 DONE 0.1s

#4 [stage-0 1/3] FROM docker.io/pks-test/busybox:latest
#4 sha256:7365bc40e96a1fa7bc2eb64f50214dfb58b39cabff610e5966af53c47fb0e3b5
#4 DONE 0.0s

#5 [stage-0 2/3] RUN --mount=type=cache,target=/cache echo "arch=amd64" > /arch.txt
#5 sha256:a9b6db4f4ac00be871eb17ad8f03c80927401af6dd736278817972025a008707
#5 CACHED

#6 [stage-0 3/3] RUN make
#6 sha256:64dd22b228e95906d1919903c65b6687787ab4650049af094cd1405edc361576
#6 1.269 compiling
#6 1.270 main.c:3: error: expected ';'
#6 ERROR: executor failed running [/bin/sh -c make]: exit code: 2
------
 > [stage-0 3/3] RUN make:
------
executor failed running [/bin/sh -c make]: exit code: 2
`;

describe('BuildKit progress (--progress=plain)', () => {
  it('names each Dockerfile step as it starts (not BuildKit\'s own vertices) and counts steps and cached ones', () => {
    const progress = new BuildkitProgress();
    const started = FAILED_BUILD.split('\n').map((line) => progress.push(line)).filter((step) => step !== undefined);
    assert.deepEqual(started, ['[stage-0 1/3] FROM docker.io/pks-test/busybox:latest', '[stage-0 2/3] RUN --mount=type=cache,target=/cache echo "arch=amd64" > /arch.txt', '[stage-0 3/3] RUN make']);
    assert.deepEqual(progress.counts(), { steps: 3, cached: 1 });
  });

  it("reports the failing step, its error and its own output (timestamps removed)", () => {
    const progress = new BuildkitProgress();
    for (const line of FAILED_BUILD.split('\n')) progress.push(line);
    assert.deepEqual(progress.failure(), {
      step: '[stage-0 3/3] RUN make',
      reason: 'executor failed running [/bin/sh -c make]: exit code: 2',
      output: ['compiling', "main.c:3: error: expected ';'"],
    });
    assert.ok(progress.lines().includes('#6 1.269 compiling'), 'the whole log is kept');
  });

  it('a failure before any step (a Dockerfile parse error) gives BuildKit\'s closing message', () => {
    const progress = new BuildkitProgress();
    for (const line of ['#1 [internal] load build definition from Dockerfile', '#1 DONE 0.1s', 'failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 4: Unknown flag: link']) {
      progress.push(line);
    }
    assert.deepEqual(progress.failure(), { reason: 'failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 4: Unknown flag: link', output: [] });
  });

  it('keeps only the last lines of a very chatty step', () => {
    const progress = new BuildkitProgress();
    progress.push('#3 [2/2] RUN yes | head -1000');
    for (let i = 0; i < 1000; i += 1) progress.push(`#3 0.${i} line ${i}`);
    progress.push('#3 ERROR: exit code: 1');
    const { output } = progress.failure();
    assert.equal(output.length, 40);
    assert.equal(output.at(-1), 'line 999');
  });
});

describe('build.options for the docker CLI', () => {
  let project: string;
  let outside: string;
  before(async () => {
    outside = await mkdtemp(path.join(os.tmpdir(), 'pks-unit-outside-'));
    project = await mkdtemp(path.join(os.tmpdir(), 'pks-unit-project-'));
    await writeFile(path.join(outside, 'token'), 'x');
    await mkdir(path.join(project, 'secrets'));
    await writeFile(path.join(project, 'secrets', 'token'), 'x');
    await symlink(path.join(outside, 'token'), path.join(project, 'escape'));
  });
  after(async () => {
    await rm(outside, { recursive: true, force: true });
    await rm(project, { recursive: true, force: true });
  });

  it('passes docker build flags through as --flag=value, BuildKit-only ones left out of the classic subset', async () => {
    const options = await buildkitOptions(
      ['--build-arg', 'A=1', '--build-arg=NAME_ONLY', '-m', '1g', '--platform', 'Linux/AMD64', '--no-cache', '--pull=false', '--secret', 'id=t,src=secrets/token', '--ssh', 'default', '--cache-to', 'type=inline', '--progress', 'tty', '-q'],
      project,
    );
    assert.deepEqual(options.args, [
      '--build-arg=A=1',
      '--build-arg=NAME_ONLY',
      '--memory=1g',
      '--platform=Linux/AMD64',
      '--no-cache',
      '--pull=false',
      `--secret=id=t,src=${path.join(project, 'secrets', 'token')}`,
      '--ssh=default',
      '--cache-to=type=inline',
    ]);
    assert.deepEqual(options.classic, ['--build-arg=A=1', '--memory=1g', '--platform=Linux/AMD64', '--no-cache', '--pull=false']);
    assert.equal(options.platform, 'linux/amd64');
    assert.deepEqual(options.ignored, ['--progress is ignored: pks shows the build output itself', '-q is ignored: pks shows the build output itself']);
  });

  it('a value that looks like a flag stays a value', async () => {
    const options = await buildkitOptions(['--label', '--push=yes'], project);
    assert.deepEqual(options.args, ['--label=--push=yes']);
  });

  for (const [options, why] of [
    [['--output', 'type=local,dest=/tmp/x'], /--output cannot be honoured by pks: pks needs the image in the engine/],
    [['--push'], /--push cannot be honoured/],
    [['--builder', 'remote'], /--builder cannot be honoured by pks: pks builds with the engine's own BuildKit/],
    [['--allow', 'security.insecure'], /--allow cannot be honoured by pks: pks does not grant build steps extra privileges/],
    [['-f', 'Other.Dockerfile'], /-f cannot be honoured by pks: set "build.dockerfile" instead/],
    [['--no-such-flag'], /it is not a docker build flag pks knows/],
    [['context-folder'], /it is not a flag/],
    [['--target'], /--target "" is not valid: expected a value after it/],
    [['--pull=maybe'], /--pull=maybe is not valid: expected true or false/],
  ] as const) {
    it(`refuses ${options.join(' ')} (E_BUILD_OPTION) and says why`, () => {
      assert.throws(() => classifyBuildkitOptions(options), (error: unknown) => isPksError(error) && error.code === 'E_BUILD_OPTION' && why.test(error.message));
    });
  }

  for (const [options, why] of [
    [['--secret', 'id=t,src=../outside-token'], /--secret names \.\.\/outside-token, which does not exist/],
    [['--secret', 'id=t,src=escape'], /--secret reads escape, which is outside the project folder \(it leads to /],
    [['--ssh', 'default=escape'], /--ssh reads escape, which is outside the project folder/],
    [['--build-context', 'extra=/'], /--build-context reads \/, which is outside the project folder/],
  ] as const) {
    it(`refuses a local source outside the project: ${options.join(' ')}`, async () => {
      await assert.rejects(buildkitOptions(options, project), (error: unknown) => isPksError(error) && error.code === 'E_BUILD_OPTION' && why.test(error.message));
    });
  }

  it('a secret from the environment, an image as a named context, and a secret file outside via its absolute path are told apart', async () => {
    const options = await buildkitOptions(['--secret', 'id=t,env=TOKEN', '--secret=id=u,type=env,src=TOKEN', '--build-context', 'base=docker-image://alpine'], project);
    assert.deepEqual(options.args, ['--secret=id=t,env=TOKEN', '--secret=id=u,type=env,src=TOKEN', '--build-context=base=docker-image://alpine']);
    await assert.rejects(buildkitOptions(['--secret', `id=t,src=${path.join(outside, 'token')}`], project), /outside the project folder/);
  });

  it('takes --platform from runArgs in both spellings', () => {
    assert.equal(runArgsPlatform(['--platform', 'Linux/ARM64']), 'linux/arm64');
    assert.equal(runArgsPlatform(['--cap-add=SYS_PTRACE', '--platform=linux/amd64']), 'linux/amd64');
    assert.equal(runArgsPlatform(['--privileged']), undefined);
  });
});

describe('docker build arguments', () => {
  it('build.args first, then build.options, then the platform and pks\'s labels (later ones win), the context after --', () => {
    const args = buildkitArgs({
      contextDir: '/p/-odd',
      dockerfile: '/p/.devcontainer/Dockerfile',
      tag: 'pks-x',
      args: { A: 'from-build-args' },
      target: 'dev',
      cacheFrom: ['c'],
      noCache: true,
      options: ['--build-arg=A=from-options', '--label=pks.managed=false'],
      platform: 'linux/amd64',
      labels: { 'pks.managed': 'true' },
      phase: 'build',
      description: 'x',
    });
    assert.deepEqual(args, [
      '--progress=plain',
      '--file=/p/.devcontainer/Dockerfile',
      '--tag=pks-x',
      '--build-arg=A=from-build-args',
      '--target=dev',
      '--cache-from=c',
      '--no-cache',
      '--build-arg=A=from-options',
      '--label=pks.managed=false',
      '--platform=linux/amd64',
      '--label=pks.managed=true',
      '--',
      '/p/-odd',
    ]);
  });
});

describe('finding a BuildKit-capable docker CLI (this machine\'s CLIs)', () => {
  it('PKS_DOCKER_CLI=none turns BuildKit off', async () => {
    assert.deepEqual(await findBuildkitCli({ PATH: process.env.PATH, PKS_DOCKER_CLI: 'none' }), { reason: 'PKS_DOCKER_CLI=none turns BuildKit off' });
  });

  it('a CLI from 23 on without the buildx plugin cannot build with BuildKit, and says so', async () => {
    const found = await findBuildkitCli({ PATH: '/nonexistent', HOME: os.tmpdir(), PKS_DOCKER_CLI: '/usr/local/bin/docker' });
    assert.ok('reason' in found);
    assert.match(found.reason, /^no docker CLI here can build with BuildKit: \/usr\/local\/bin\/docker \(2\d\.[\d.]+\S*\) has no buildx plugin$/);
  });

  it('looks past a docker on PATH without BuildKit (the 28 CLI) to one with it built in (Debian\'s 20.10)', async () => {
    const found = await findBuildkitCli({ PATH: '/usr/local/bin:/nonexistent', HOME: os.tmpdir() });
    assert.ok('cli' in found, JSON.stringify(found));
    assert.equal(found.cli.path, '/usr/bin/docker');
    assert.equal(found.cli.kind, 'builtin');
    assert.match(found.cli.version, /^20\./);
  });
});

describe('choosing the builder', () => {
  const cli: BuildkitCli = { description: 'docker 20.10', build: async () => ({ exitCode: 0, imageId: 'sha256:x' }) };
  const engine = (version: Partial<EngineVersion> & Record<string, unknown>): EngineClient =>
    ({ target: 'test engine', version: async () => ({ Version: '20.10.24', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64', ...version }) }) as unknown as EngineClient;
  const found = async () => ({ cli });

  it('BuildKit when the engine has it and a CLI is found', async () => {
    assert.deepEqual(await chooseBuilder(engine({}), found), { kind: 'buildkit', cli });
  });

  it('the classic builder, with the reason, for an engine older than 18.09, Podman, or no CLI', async () => {
    assert.deepEqual(await chooseBuilder(engine({ Version: '18.06.1', ApiVersion: '1.38' }), found), {
      kind: 'classic',
      reason: 'the test engine (Docker 18.06.1, API 1.38) is older than Docker 18.09, the first with BuildKit',
    });
    assert.deepEqual(await chooseBuilder(engine({ Version: '4.3.1', Components: [{ Name: 'Podman Engine' }] }), found), {
      kind: 'classic',
      reason: "the test engine is Podman, whose Docker API has no BuildKit",
    });
    assert.deepEqual(await chooseBuilder(engine({}), async () => ({ reason: 'none here' })), { kind: 'classic', reason: 'none here' });
  });
});

describe('BuildKit on an engine without a bridge network', () => {
  /** An engine whose networks are `networks`, and a CLI that records the arguments it is given. */
  async function argsOfBuild(networks: string[], options: string[] = []): Promise<{ args: string[]; messages: string[] }> {
    const engine = {
      target: 'test engine',
      networkExists: async (name: string) => networks.includes(name),
      toolEndpoint: async () => ({ dockerHost: 'unix:///nowhere.sock', close: async () => undefined }),
    } as unknown as EngineClient;
    let args: string[] = [];
    const cli: BuildkitCli = {
      description: 'recording CLI',
      build: async (invocation) => {
        args = [...invocation.args];
        return { exitCode: 0, imageId: 'sha256:0123' };
      },
    };
    const messages: string[] = [];
    const id = await buildWithBuildkit(engine, cli, {
      contextDir: '/project',
      dockerfile: '/project/Dockerfile',
      args: {},
      cacheFrom: [],
      noCache: false,
      options,
      labels: {},
      phase: 'build',
      description: 'the Dockerfile',
      onProgress: (event) => {
        if (event.type === 'info') messages.push(event.message);
      },
    });
    assert.equal(id, 'sha256:0123');
    return { args, messages };
  }

  it('gives RUN steps no network (--network=none), as the classic builder does there, and says so with --verbose', async () => {
    const { args, messages } = await argsOfBuild(['host', 'none']);
    assert.ok(args.includes('--network=none'), args.join(' '));
    assert.deepEqual(messages, ["The test engine has no bridge network: the build's RUN steps run without a network (--network=none)."]);
  });

  it('leaves the network alone where the bridge exists, or where build.options chose one', async () => {
    assert.ok(!(await argsOfBuild(['bridge', 'host', 'none'])).args.some((arg) => arg.startsWith('--network')));
    const chosen = await argsOfBuild(['host', 'none'], ['--network=host']);
    assert.deepEqual(chosen.args.filter((arg) => arg.startsWith('--network')), ['--network=host']);
  });
});
