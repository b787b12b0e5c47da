// Bad input corpus, part 1: broken devcontainer.json files, Dockerfiles and
// Features given to `pks devcontainer spawn`. Each case must fail with a clear
// message and the exact exit code, print no stack trace, change nothing on
// disk and leave nothing on any engine (see test/helpers/bad-input.ts).
// Part 2 (hosts file and command line) is bad-input-cli.test.ts.
import { after, before, describe, it } from 'node:test';
import { BadInputRunner, type BadInputCase } from '../helpers/bad-input.js';
import { loadTestEnv } from '../helpers/test-env.js';

const env = loadTestEnv();
const runner = new BadInputRunner(env);
before(() => runner.open());
after(() => runner.close());

const DC = '.devcontainer/devcontainer.json';
const IMAGE = env.images.busybox;
const spawn = (...extra: string[]) => (project: string) => ['devcontainer', 'spawn', project, ...extra];

/** A devcontainer.json with `image` and the given properties. */
function config(properties: Record<string, unknown>): Record<string, string> {
  return { [DC]: JSON.stringify({ image: IMAGE, ...properties }, null, 2) };
}

/** A local Feature in .devcontainer/<id>. */
function feature(id: string, metadata: Record<string, unknown>, install = 'echo installing\n'): Record<string, string> {
  return {
    [`.devcontainer/${id}/devcontainer-feature.json`]: JSON.stringify({ id, version: '1.0.0', ...metadata }),
    [`.devcontainer/${id}/install.sh`]: `#!/bin/sh\n${install}`,
  };
}

const cases: BadInputCase[] = [
  // JSON syntax
  { name: 'garbage after the object', files: { [DC]: `{ "image": "${IMAGE}", }x` }, args: spawn(), code: 1, errorCode: 'E_CONFIG_SYNTAX', message: /devcontainer\.json:1:\d+: syntax error: unexpected character[\s\S]*hint: Fix the JSON/ },
  { name: 'unterminated object', files: { [DC]: `{ "image": "${IMAGE}"\n` }, args: spawn(), code: 1, errorCode: 'E_CONFIG_SYNTAX', message: /devcontainer\.json:\d+:\d+: syntax error: a closing brace } was expected/ },
  { name: 'nested 50,000 deep (arrays, one line)', files: { [DC]: `{ "image": "${IMAGE}", "x": ${'['.repeat(50_000)}${']'.repeat(50_000)} }` }, args: spawn(), code: 1, errorCode: 'E_CONFIG_TOO_DEEP', message: /devcontainer\.json:1:\d+: nested deeper than 256 levels[\s\S]*hint: / },
  { name: 'nested 50,000 deep (objects, one per line)', files: { [DC]: `{ "image": "${IMAGE}",\n${'"a": {\n'.repeat(50_000)}${'}'.repeat(50_000)} }` }, args: spawn(), code: 1, errorCode: 'E_CONFIG_TOO_DEEP', message: /devcontainer\.json:257:6: nested deeper than 256 levels[\s\S]*257 \| "a": \{\n\s+\^/ },
  { name: 'empty file', files: { [DC]: '' }, args: spawn(), code: 1, errorCode: 'E_CONFIG_SYNTAX', message: /devcontainer\.json:1:1: syntax error: a value was expected/ },
  { name: 'an array instead of an object', files: { [DC]: '[1, 2]' }, args: spawn(), code: 1, errorCode: 'E_CONFIG_INVALID', message: /must be a JSON object/ },
  { name: 'unterminated comment', files: { [DC]: `{ "image": "${IMAGE}" /* never closed ` }, args: spawn(), code: 1, errorCode: 'E_CONFIG_SYNTAX', message: /devcontainer\.json:\d+:\d+: syntax error/ },
  // wrong types
  { name: 'image is a number', files: { [DC]: '{ "image": 42 }' }, args: spawn(), code: 1, errorCode: 'E_CONFIG_INVALID', message: /"image": expected string, received number/ },
  { name: 'containerEnv value is a number', files: config({ containerEnv: { A: 1 } }), args: spawn(), code: 1, errorCode: 'E_CONFIG_INVALID', message: /"containerEnv\.A": expected string, received number/ },
  { name: 'forwardPorts out of range', files: config({ forwardPorts: [70000] }), args: spawn(), code: 1, errorCode: 'E_CONFIG_INVALID', message: /"forwardPorts\[0\]": Too big[\s\S]*65535/ },
  { name: 'forwardPorts entry not host:port', files: config({ forwardPorts: ['abc'] }), args: spawn(), code: 1, errorCode: 'E_CONFIG_INVALID', message: /"forwardPorts\[0\]"/ },
  { name: 'features is an array', files: config({ features: ['./a'] }), args: spawn(), code: 1, errorCode: 'E_CONFIG_INVALID', message: /"features"/ },
  { name: 'build.args value is an object', files: { [DC]: JSON.stringify({ build: { dockerfile: 'Dockerfile', args: { A: { nested: true } } } }), '.devcontainer/Dockerfile': `FROM ${IMAGE}\n` }, args: spawn(), code: 1, errorCode: 'E_CONFIG_INVALID', message: /"build\.args\.A"/ },
  // what to run
  { name: 'neither image nor build', files: { [DC]: '{ "name": "nothing" }' }, args: spawn(), code: 1, errorCode: 'E_CONFIG_INVALID', message: /says neither which image to use nor how to build one/ },
  { name: 'no configuration at all', files: { 'README.md': 'no dev container here\n' }, args: spawn(), code: 1, errorCode: 'E_CONFIG_NOT_FOUND' },
  { name: 'missing Dockerfile', files: { [DC]: '{ "build": { "dockerfile": "Missing.Dockerfile" } }' }, args: spawn(), code: 1, errorCode: 'E_DOCKERFILE_NOT_FOUND', message: /The Dockerfile \.devcontainer\/Missing\.Dockerfile does not exist/ },
  { name: 'build context outside the project', files: { [DC]: '{ "build": { "dockerfile": "Dockerfile", "context": "../../.." } }', '.devcontainer/Dockerfile': `FROM ${IMAGE}\n` }, args: spawn(), code: 1, errorCode: 'E_BUILD_OUTSIDE_PROJECT', message: /The build context \S+ is outside the project/ },
  { name: 'missing compose file', files: { [DC]: '{ "dockerComposeFile": "compose.yml", "service": "app" }' }, args: spawn(), code: 1, errorCode: 'E_COMPOSE_FILE_NOT_FOUND', message: /compose file \S+compose\.yml does not exist/ },
  { name: 'unresolvable variable', files: config({ containerEnv: { A: '${localEnv}' } }), args: spawn(), code: 1, errorCode: 'E_CONFIG_VARIABLE', message: /\$\{localEnv\} in \S+ cannot be resolved/ },
  // Features
  { name: 'bare (legacy) Feature id', files: config({ features: { 'not a valid id!!': {} } }), args: spawn(), code: 1, errorCode: 'E_FEATURE_REF', message: /The Feature "not a valid id!!" cannot be used: bare ids are legacy Features/ },
  { name: 'Feature by tarball URL that cannot be reached', files: config({ features: { 'http://127.0.0.1:1/feature.tgz': {} } }), args: spawn(), code: 1, errorCode: 'E_REGISTRY_UNREACHABLE', message: /Cannot reach 127\.0\.0\.1(:1)? for the Feature http:\/\/127\.0\.0\.1:1\/feature\.tgz/ },
  { name: 'malformed OCI Feature digest', files: config({ features: { 'ghcr.io/devcontainers/features/node@sha256:zz': {} } }), args: spawn(), code: 1, errorCode: 'E_FEATURE_REF', message: /The Feature "ghcr\.io\/devcontainers\/features\/node@sha256:zz" cannot be used/ },
  { name: 'local Feature folder missing', files: config({ features: { './missing-feature': {} } }), args: spawn(), code: 1, errorCode: 'E_FEATURE_NOT_FOUND', message: /The local Feature "\.\/missing-feature" has no devcontainer-feature\.json/ },
  { name: 'local Feature outside the project', files: config({ features: { './../../../etc': {} } }), args: spawn(), code: 1, errorCode: 'E_FEATURE_REF', message: /is outside the project/ },
  { name: 'Feature metadata is not JSON', files: { ...config({ features: { './a': {} } }), '.devcontainer/a/devcontainer-feature.json': '{"id": "a", ', '.devcontainer/a/install.sh': 'true\n' }, args: spawn(), code: 1, errorCode: 'E_CONFIG_SYNTAX', message: /devcontainer-feature\.json:1:\d+: syntax error/ },
  { name: 'Feature option outside its enum', files: { ...config({ features: { './a': { flavour: 'zzz' } } }), ...feature('a', { options: { flavour: { type: 'string', enum: ['x', 'y'], default: 'x' } } }) }, args: spawn(), code: 1, errorCode: 'E_FEATURE_OPTION', message: /The Feature "\.\/a" does not accept flavour="zzz"[\s\S]*Allowed values: "x", "y"/ },
  { name: 'cyclic dependsOn between local Features', files: { ...config({ features: { './a': {} } }), ...feature('a', { dependsOn: { './b': {} } }), ...feature('b', { dependsOn: { './a': {} } }) }, args: spawn(), code: 1, errorCode: 'E_FEATURE_CYCLE', message: /dependencies form a cycle among \.\/a, \.\/b/ },
  { name: 'cyclic installsAfter between local Features', files: { ...config({ features: { './a': {}, './b': {} } }), ...feature('a', { installsAfter: ['./b'] }), ...feature('b', { installsAfter: ['./a'] }) }, args: spawn(), code: 1, errorCode: 'E_FEATURE_CYCLE' },
  // the engine refuses or fails
  { name: 'image reference the engine rejects', files: config({ image: 'Not A Valid:Ref' }), args: spawn(), code: 1, errorCode: 'E_ENGINE_BAD_REQUEST', message: /invalid reference format/ },
  { name: 'image missing from the registry', files: config({ image: `${env.registry}/pks-missing/nothing:latest` }), args: spawn(), code: 1, errorCode: 'E_IMAGE_PULL', message: /could not be pulled on the local engine[\s\S]*hint: Check the image name/, noImageOn: ['local'] },
  { name: 'Dockerfile build fails', files: { [DC]: '{ "build": { "dockerfile": "Dockerfile" } }', '.devcontainer/Dockerfile': `FROM ${IMAGE}\nRUN exit 3\n` }, args: spawn(), code: 1, errorCode: 'E_IMAGE_BUILD', message: /Building the image of \.devcontainer\/Dockerfile on the local engine .* failed at \[2\/2\] RUN exit 3: .*exit code: 3/, noImageOn: ['local'] },
  { name: 'Feature install.sh fails', files: { ...config({ features: { './broken': {} } }), ...feature('broken', {}, 'echo about to fail\nexit 7\n') }, args: spawn(), code: 1, errorCode: 'E_IMAGE_BUILD', message: /Feature "broken" \(\.\/broken\) failed to install[\s\S]*Building the Features into pks-bad-[0-9a-f]+-\S+ on the local engine .* failed: .*non-zero code: 7/, noImageOn: ['local'] },
  { name: 'Dockerfile build fails on a remote host', files: { [DC]: '{ "build": { "dockerfile": "Dockerfile" } }', '.devcontainer/Dockerfile': `FROM ${IMAGE}\nRUN exit 4\n` }, args: spawn('--remote', 'r1'), code: 1, errorCode: 'E_IMAGE_BUILD', message: new RegExp(`Building the image of \\.devcontainer/Dockerfile on the remote host "r1" \\(${env.r1.user}@${env.r1.host.replace(/\./g, '\\.')}(:22)?\\) failed at \\[2/2\\] RUN exit 4: .*exit code: 4`), noImageOn: ['r1'], timeoutMs: 120_000 },
  { name: 'syntax error, spawned on a remote host', files: { [DC]: '{ "image": ' }, args: spawn('--remote', 'r2'), code: 1, errorCode: 'E_CONFIG_SYNTAX', message: /devcontainer\.json:1:\d+: syntax error/ },
  // which configuration
  { name: '--config names a missing file', files: config({}), args: spawn('--config', 'nothere.json'), code: 2, errorCode: 'E_CONFIG_NOT_FOUND', message: /The configuration file \S+nothere\.json does not exist/ },
  { name: '--config names a file that is not JSON', files: { ...config({}), 'notes.txt': 'root:x:0:0\n' }, args: (p) => ['devcontainer', 'spawn', p, '--config', `${p}/notes.txt`], code: 1, errorCode: 'E_CONFIG_SYNTAX', message: /notes\.txt:1:1: syntax error/ },
  { name: 'several configurations and no terminal to choose', files: { '.devcontainer/a/devcontainer.json': JSON.stringify({ image: IMAGE }), '.devcontainer/b/devcontainer.json': JSON.stringify({ image: IMAGE }) }, args: spawn(), code: 2, errorCode: 'E_CONFIG_AMBIGUOUS', message: /has 2 dev container configurations; choose one with --config\.[\s\S]*--config \S+a\/devcontainer\.json\n {4}--config \S+b\/devcontainer\.json/ },
  { name: 'validate: wrong type', files: { [DC]: '{ "image": 42 }' }, args: (p) => ['devcontainer', 'validate', p], code: 1, errorCode: 'E_CONFIG_INVALID', message: /"image": expected string/ },
  { name: 'config: syntax error', files: { [DC]: '{ "image": ' }, args: (p) => ['devcontainer', 'config', p, '--format', 'json'], code: 1, errorCode: 'E_CONFIG_SYNTAX' },
];

describe('bad input: devcontainer.json, Dockerfiles and Features', { concurrency: 6 }, () => {
  for (const testCase of cases) it(testCase.name, { timeout: (testCase.timeoutMs ?? 60_000) + 60_000 }, async () => void (await runner.run(testCase)));
});
