// Preparing images from a Dockerfile and with local Features, on the local
// engine and on a remote engine over SSH: build args and target, a context
// that honours .dockerignore, Feature options and containerEnv, the
// devcontainer.metadata label, and failures that leave nothing half-built.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { isPksError } from '../../src/common/errors.js';
import { loadDevcontainerConfig, parseMetadataLabel } from '../../src/devcontainer/index.js';
import { prepareImage, type PrepareProgressEvent } from '../../src/image/index.js';
import { inspectImage } from '../../src/image/image-pull.js';
import { extractTar } from '../../src/common/tar/tar-reader.js';
import { openLocalEngine, openSshEngine, type EngineClient } from '../../src/engine/index.js';
import { loadTestEnv } from '../helpers/test-env.js';

const env = loadTestEnv();
const tmp = mkdtempSync(path.join(tmpdir(), 'pks-dc-build-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function unique(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

function project(files: Record<string, string>): string {
  const dir = path.join(tmp, unique('project'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text, { mode: file.endsWith('.sh') ? 0o755 : 0o644 });
  }
  return dir;
}

/** Reads files out of an image through a created (never started) container. */
async function filesInImage(engine: EngineClient, image: string, folder: string): Promise<string> {
  const { Id: id } = await engine.request(
    { method: 'POST', path: '/containers/create', query: { name: unique('pks-it-read') }, body: { Image: image, Cmd: ['true'], Labels: { 'pks.test': 'devcontainer-build' } } },
    z.looseObject({ Id: z.string() }),
  );
  try {
    const response = await engine.stream({ path: `/containers/${id}/archive`, query: { path: folder } });
    const target = path.join(tmp, unique('extract'));
    await extractTar(response.body, target);
    return target;
  } finally {
    await engine.requestEmpty({ method: 'DELETE', path: `/containers/${id}`, query: { force: 1 } });
  }
}

async function removeImage(engine: EngineClient, name: string): Promise<void> {
  await engine.requestEmpty({ method: 'DELETE', path: `/images/${name}`, query: { force: 1 } }).catch(() => undefined);
}

/** Images a build made for its steps (` ---> id` lines), newest first: a failed build's cache, to clean up. */
function stepImages(events: readonly PrepareProgressEvent[]): string[] {
  const ids = events.flatMap((e) => (e.type === 'build-output' ? [/^ ---> ([0-9a-f]{12})$/.exec(e.line)?.[1]] : [])).filter((id): id is string => id !== undefined);
  return [...new Set(ids)].reverse();
}

const engines: Array<[string, () => Promise<EngineClient>]> = [
  ['the local engine', () => openLocalEngine({ DOCKER_HOST: `unix://${env.localSocket}` })],
  [
    `the remote engine on ${env.r1.host} over SSH`,
    () =>
      openSshEngine({
        host: env.r1.host,
        port: env.r1.port,
        username: env.r1.user,
        privateKeyPath: env.r1.key,
        knownHostsFiles: [env.knownHosts],
        socketPath: env.r1.dockerSocket,
      }),
  ],
];

for (const [where, open] of engines) {
  describe(`preparing images on ${where}`, () => {
    let engine: EngineClient;
    const images: string[] = [];
    before(async () => {
      engine = await open();
    });
    after(async () => {
      for (const image of images) await removeImage(engine, image);
      await engine.close();
    });

    it('builds a Dockerfile with args and target, sending a context that honours .dockerignore', async () => {
      const token = randomBytes(4).toString('hex');
      const dir = project({
        '.devcontainer/devcontainer.json': JSON.stringify({
          build: { dockerfile: 'Dockerfile', context: '..', args: { GREETING: 'hello-${localEnv:PKS_IT_TOKEN}' }, target: 'dev' },
          remoteUser: 'root',
        }),
        '.devcontainer/Dockerfile': [
          `FROM ${env.images.busybox} AS base`,
          'ARG GREETING=unset',
          'RUN mkdir /out && echo "$GREETING" > /out/greeting',
          'FROM base AS dev',
          'COPY . /out/ctx',
          'RUN echo dev > /out/stage',
          'FROM base AS prod',
          'RUN echo prod > /out/stage',
          '',
        ].join('\n'),
        '.dockerignore': '# comments are ignored\nsecret.txt\nlogs\n!logs/keep.log\n**/*.tmp\n',
        'secret.txt': 'do not send',
        'logs/a.log': 'noise',
        'logs/keep.log': 'kept',
        'src/main.c': 'int main(void) { return 0; }\n',
        'src/deep/x.tmp': 'scratch',
        'run.sh': '#!/bin/sh\necho run\n',
      });
      const loaded = await loadDevcontainerConfig(dir, { env: { PKS_IT_TOKEN: token } });
      const events: PrepareProgressEvent[] = [];
      const imageName = unique('pks-it-dockerfile');
      images.push(imageName);
      const prepared = await prepareImage(engine, loaded, { env: {}, imageName, onProgress: (event) => events.push(event) });

      assert.equal(prepared.imageName, imageName);
      assert.equal(prepared.built, true);
      const files = path.join(await filesInImage(engine, imageName, '/out'), 'out');
      assert.equal(readFileSync(path.join(files, 'greeting'), 'utf8'), `hello-${token}\n`);
      assert.equal(readFileSync(path.join(files, 'stage'), 'utf8'), 'dev\n');
      const ctx = path.join(files, 'ctx');
      assert.equal(readFileSync(path.join(ctx, 'src/main.c'), 'utf8'), 'int main(void) { return 0; }\n');
      assert.equal(readFileSync(path.join(ctx, 'logs/keep.log'), 'utf8'), 'kept');
      assert.equal(readFileSync(path.join(ctx, '.devcontainer/Dockerfile'), 'utf8').startsWith('FROM'), true);
      for (const absent of ['secret.txt', 'logs/a.log', 'src/deep/x.tmp']) {
        assert.throws(() => readFileSync(path.join(ctx, absent)), /ENOENT/, `${absent} must not be in the context`);
      }

      const starts = events.filter((e) => e.type === 'phase-start').map((e) => e.phase);
      assert.deepEqual(starts, ['build']);
      const end = events.find((e) => e.type === 'phase-end' && e.phase === 'build');
      assert.ok(end?.type === 'phase-end' && end.ok && end.durationMs >= 0);
      const output = events.flatMap((e) => (e.type === 'build-output' ? [e.line] : []));
      assert.ok(output.some((line) => /^Step \d+\/\d+ : ARG GREETING=unset$/.test(line)), output.join('\n'));
      const label = (await inspectImage(engine, imageName))?.Config?.Labels?.['devcontainer.metadata'];
      assert.deepEqual(parseMetadataLabel(label).entries, [{ remoteUser: 'root' }]);
    });

    it('installs a local Feature: options as quoted variables, containerEnv in the image, metadata on its label', async () => {
      const dir = project({
        '.devcontainer/devcontainer.json': JSON.stringify({
          image: env.images.busybox,
          features: { './greeter': { greeting: "it's $(not run)" } },
          containerEnv: { FROM_CONFIG: '1' },
          remoteUser: 'root',
        }),
        '.devcontainer/greeter/devcontainer-feature.json': JSON.stringify({
          id: 'greeter',
          version: '1.0.0',
          options: { greeting: { type: 'string', default: 'hi' }, loud: { type: 'boolean', default: false } },
          containerEnv: { GREETER_HOME: '/opt/greeter', PATH: '/opt/greeter/bin:${PATH}' },
          capAdd: ['SYS_PTRACE'],
          postCreateCommand: 'greet',
        }),
        '.devcontainer/greeter/install.sh': '#!/bin/sh\nset -e\nmkdir -p /opt/greeter/bin\nenv | sort > /opt/greeter/install-env\n',
      });
      const loaded = await loadDevcontainerConfig(dir, { env: {} });
      const imageName = unique('pks-it-feature');
      images.push(imageName);
      const events: PrepareProgressEvent[] = [];
      const prepared = await prepareImage(engine, loaded, { env: {}, imageName, onProgress: (event) => events.push(event) });

      const image = await inspectImage(engine, imageName);
      const imageEnv = image?.Config?.Env ?? [];
      assert.ok(imageEnv.includes('GREETER_HOME=/opt/greeter'), imageEnv.join(' '));
      assert.match(imageEnv.find((e) => e.startsWith('PATH=')) ?? '', /^PATH=\/opt\/greeter\/bin:\/.+/);
      assert.equal(prepared.imageEnv['GREETER_HOME'], '/opt/greeter');

      const entries = parseMetadataLabel(image?.Config?.Labels?.['devcontainer.metadata']).entries;
      assert.deepEqual(entries, [
        { id: './greeter', postCreateCommand: 'greet', capAdd: ['SYS_PTRACE'] },
        { containerEnv: { FROM_CONFIG: '1' }, remoteUser: 'root' },
      ]);
      assert.equal(prepared.metadataLabel, image?.Config?.Labels?.['devcontainer.metadata']);
      assert.deepEqual(prepared.merged.capAdd, ['SYS_PTRACE']);
      assert.deepEqual(prepared.merged.postCreateCommands, ['greet']);

      const installed = readFileSync(path.join(await filesInImage(engine, imageName, '/opt/greeter'), 'greeter/install-env'), 'utf8');
      assert.match(installed, /^GREETING=it's \$\(not run\)$/m);
      assert.match(installed, /^LOUD=false$/m);
      assert.match(installed, /^_REMOTE_USER=root$/m);
      assert.match(installed, /^_CONTAINER_USER=root$/m);
      assert.match(installed, /^_REMOTE_USER_HOME=\/root$/m);
      assert.match(installed, /^GREETER_HOME=\/opt\/greeter$/m, 'its own containerEnv is set while it installs');
      assert.deepEqual(events.filter((e) => e.type === 'phase-start').map((e) => e.phase), ['fetch-features', 'features']);

      // That image as the base of another configuration: its label is merged in, before devcontainer.json.
      // (Without a uid update, which a remote host's non-root SSH user would otherwise get: the image is used as it is.)
      const reuse = project({ '.devcontainer.json': JSON.stringify({ image: imageName, remoteUser: 'nobody', postCreateCommand: 'again', updateRemoteUserUID: false }) });
      const reused = await prepareImage(engine, await loadDevcontainerConfig(reuse, { env: {} }), { env: {} });
      assert.equal(reused.built, false);
      assert.deepEqual(reused.metadata, [...entries, { postCreateCommand: 'again', remoteUser: 'nobody', updateRemoteUserUID: false }]);
      assert.equal(reused.merged.remoteUser, 'nobody');
      assert.deepEqual(reused.merged.capAdd, ['SYS_PTRACE']);
      assert.deepEqual(reused.merged.postCreateCommands, ['greet', 'again']);
    });

    it("bakes devcontainer.json's containerEnv into the Features image, after the Features' own, `$` kept as written", async () => {
      const dir = project({
        '.devcontainer/devcontainer.json': JSON.stringify({
          image: env.images.busybox,
          features: { './envy': {} },
          containerEnv: { FROM_CONFIG: 'config', SHARED: 'from-config', LITERAL: 'cost: $5 "quoted" ${HOME}' },
        }),
        '.devcontainer/envy/devcontainer-feature.json': JSON.stringify({ id: 'envy', version: '1.0.0', containerEnv: { FROM_FEATURE: 'feature', SHARED: 'from-feature' } }),
        '.devcontainer/envy/install.sh': '#!/bin/sh\nexit 0\n',
      });
      const imageName = unique('pks-it-env');
      images.push(imageName);
      await prepareImage(engine, await loadDevcontainerConfig(dir, { env: {} }), { env: {}, imageName });
      // What a plain `docker run` of the image gets.
      const imageEnv = (await inspectImage(engine, imageName))?.Config?.Env ?? [];
      assert.ok(imageEnv.includes('FROM_FEATURE=feature'), imageEnv.join(' '));
      assert.ok(imageEnv.includes('FROM_CONFIG=config'), imageEnv.join(' '));
      assert.ok(imageEnv.includes('SHARED=from-config'), `devcontainer.json comes last: ${imageEnv.join(' ')}`);
      assert.ok(imageEnv.includes('LITERAL=cost: $5 "quoted" ${HOME}'), imageEnv.join(' '));

      // Without Features the reference bakes nothing: a Dockerfile gets only the metadata label.
      const plain = project({
        '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' }, containerEnv: { FROM_CONFIG: 'config' } }),
        '.devcontainer/Dockerfile': `FROM ${env.images.busybox}\n`,
      });
      const plainName = unique('pks-it-env-plain');
      images.push(plainName);
      const built = await prepareImage(engine, await loadDevcontainerConfig(plain, { env: {} }), { env: {}, imageName: plainName });
      assert.equal(built.built, true);
      assert.ok(!((await inspectImage(engine, plainName))?.Config?.Env ?? []).some((e) => e.startsWith('FROM_CONFIG=')));
    });

    it('passes build.options to the build: args, target, hosts, limits, network, labels; refuses what it cannot pass', async () => {
      const dir = project({
        '.devcontainer/devcontainer.json': JSON.stringify({
          build: {
            dockerfile: 'Dockerfile',
            target: 'second',
            args: { FROM_OPTION: 'from-args' },
            options: [
              '--target', 'first', '--build-arg', 'FROM_OPTION=given', '--add-host', 'pks-test-host:10.9.8.7', '--ulimit', 'nofile=1234:2345',
              '--shm-size', '96m', '--network=none', '--label', 'pks.test.option=yes', '--progress=plain',
            ],
          },
        }),
        '.devcontainer/Dockerfile': [
          `FROM ${env.images.busybox} AS first`,
          'ARG FROM_OPTION=unset',
          'RUN echo "arg=$FROM_OPTION" > /built; grep pks-test-host /etc/hosts >> /built; echo "nofile=$(ulimit -n)" >> /built; ' +
            'echo "shm=$(df -k /dev/shm | tail -1)" >> /built; echo "interfaces=$(grep -c : /proc/net/dev)" >> /built',
          `FROM ${env.images.busybox} AS second`,
          'RUN echo second > /built',
          '',
        ].join('\n'),
      });
      const imageName = unique('pks-it-options');
      images.push(imageName);
      const events: PrepareProgressEvent[] = [];
      await prepareImage(engine, await loadDevcontainerConfig(dir, { env: {} }), { env: {}, imageName, onProgress: (event) => events.push(event) });
      const built = readFileSync(path.join(await filesInImage(engine, imageName, '/built'), 'built'), 'utf8');
      assert.match(built, /^arg=given$/m, built);
      assert.match(built, /^10\.9\.8\.7\s+pks-test-host$/m, built);
      assert.match(built, /^nofile=1234$/m, built);
      assert.match(built, /^shm=\S+\s+98304\s/m, built);
      assert.match(built, /^interfaces=1$/m, `--network=none: only lo. ${built}`);
      assert.equal((await inspectImage(engine, imageName))?.Config?.Labels?.['pks.test.option'], 'yes');
      assert.ok(events.some((e) => e.type === 'warning' && /--progress is ignored/.test(e.message)));

      const refused = project({
        '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile', options: ['--secret', 'id=token,src=/etc/passwd'] } }),
        '.devcontainer/Dockerfile': `FROM ${env.images.busybox}\n`,
      });
      await assert.rejects(
        prepareImage(engine, await loadDevcontainerConfig(refused, { env: {} }), { env: {}, imageName: unique('pks-it-refused') }),
        (error: unknown) => isPksError(error) && error.code === 'E_BUILD_OPTION' && /--secret/.test(error.message),
      );
    });

    it('uses a configured image as it is when there is nothing to install', async () => {
      const dir = project({ '.devcontainer.json': JSON.stringify({ image: env.images.busybox, postStartCommand: 'true' }) });
      const prepared = await prepareImage(engine, await loadDevcontainerConfig(dir, { env: {} }), { env: {} });
      assert.equal(prepared.built, false);
      assert.equal(prepared.imageName, env.images.busybox);
      assert.equal(prepared.imageId, (await inspectImage(engine, env.images.busybox))?.Id);
      assert.deepEqual(JSON.parse(prepared.metadataLabel), [{ postStartCommand: 'true' }]);
    });

    it('reports a failing Dockerfile step with its output, and tags nothing', async () => {
      const dir = project({
        '.devcontainer/devcontainer.json': '{"build": {"dockerfile": "Dockerfile"}}',
        '.devcontainer/Dockerfile': `FROM ${env.images.busybox}\nRUN echo about to fail && exit 3\n`,
      });
      const imageName = unique('pks-it-fails');
      await assert.rejects(prepareImage(engine, await loadDevcontainerConfig(dir, { env: {} }), { env: {}, imageName }), (error) => {
        assert.ok(isPksError(error));
        assert.equal(error.code, 'E_IMAGE_BUILD');
        assert.match(error.message, /returned a non-zero code: 3/);
        assert.ok(error.details.includes('about to fail'), error.details.join('\n'));
        return true;
      });
      assert.equal(await inspectImage(engine, imageName), undefined);
    });

    it('names the Feature whose install fails, and leaves no named image and no container behind', async () => {
      const marker = randomBytes(6).toString('hex');
      const dir = project({
        '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' }, features: { './broken': {} } }),
        '.devcontainer/Dockerfile': `FROM ${env.images.busybox}\nRUN echo ${marker} > /marker\n`,
        '.devcontainer/broken/devcontainer-feature.json': '{"id": "broken", "version": "0.1.0", "name": "Broken one"}',
        '.devcontainer/broken/install.sh': '#!/bin/sh\necho cannot install >&2\nexit 7\n',
      });
      const imageName = unique('pks-it-broken');
      let baseId: string | undefined;
      const events: PrepareProgressEvent[] = [];
      const onProgress = (event: PrepareProgressEvent) => {
        events.push(event);
        const built = event.type === 'build-output' && event.phase === 'build' ? /^Successfully built ([0-9a-f]+)$/.exec(event.line) : null;
        if (built?.[1] !== undefined) baseId = built[1];
      };
      await assert.rejects(prepareImage(engine, await loadDevcontainerConfig(dir, { env: {} }), { env: {}, imageName, onProgress }), (error) => {
        assert.ok(isPksError(error));
        assert.equal(error.code, 'E_IMAGE_BUILD');
        assert.match(error.message, /Building the Features into pks-it-broken-\w+ on the .* failed: The command .* returned a non-zero code: 7/);
        assert.ok(error.details.some((line) => line.includes('ERROR: Feature "Broken one" (./broken) failed to install.')), error.details.join('\n'));
        return true;
      });
      assert.ok(baseId !== undefined);
      assert.equal(await inspectImage(engine, imageName), undefined, 'nothing is tagged');
      const leftovers = await engine.listContainers({ all: true, filters: { ancestor: [baseId] } });
      assert.deepEqual(leftovers, [], 'no build container is left');
      // The Dockerfile's image stays as build cache: the retry starts from it.
      assert.equal((await inspectImage(engine, baseId))?.RepoTags?.length ?? 0, 0);
      for (const id of stepImages(events)) {
        // Never an image someone named (the FROM line's image shows up here too).
        if (((await inspectImage(engine, id))?.RepoTags ?? []).length > 0) continue;
        await engine.requestEmpty({ method: 'DELETE', path: `/images/${id}` }).catch(() => undefined);
      }
    });
  });
}
