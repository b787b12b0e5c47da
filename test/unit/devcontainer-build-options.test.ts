// build.options (docker build flags) as the engine's build parameters: what
// maps, what is ignored with a warning, what is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { parseBuildOptions } from '../../src/devcontainer/build-options.js';
import { buildQueryString } from '../../src/engine/index.js';
import { RepeatedParam } from '../../src/engine/http-client.js';

describe('build.options', () => {
  it('maps the flags with an engine equivalent, in both spellings, the last one winning', () => {
    const { flags, ignored } = parseBuildOptions([
      '--build-arg', 'A=1', '--build-arg=B=x=y', '--label', 'l=v', '--target=t', '--network', 'host', '--add-host', 'h:1.2.3.4', '--add-host=g=5.6.7.8',
      '--no-cache', '--pull', '--platform', 'Linux/AMD64', '--shm-size', '64m', '-m', '1g', '--memory-swap', '-1', '-c', '512', '--cpu-quota', '50000',
      '--cpuset-cpus', '0-1', '--ulimit', 'nofile=10:20', '--ulimit', 'nproc=5', '--cache-from', 'img', '--target', 'last',
    ]);
    assert.deepEqual(ignored, []);
    assert.deepEqual(flags.buildArgs, { A: '1', B: 'x=y' });
    assert.deepEqual(flags.labels, { l: 'v' });
    assert.equal(flags.target, 'last');
    assert.deepEqual(flags.cacheFrom, ['img']);
    assert.equal(flags.noCache, true);
    assert.equal(flags.pull, true);
    assert.deepEqual(flags.host, {
      networkMode: 'host',
      extraHosts: ['h:1.2.3.4', 'g:5.6.7.8'],
      platform: 'linux/amd64',
      shmSize: 64 * 1024 ** 2,
      memory: 1024 ** 3,
      memorySwap: -1,
      cpuShares: 512,
      cpuQuota: 50000,
      cpusetCpus: '0-1',
      ulimits: [
        { Name: 'nofile', Soft: 10, Hard: 20 },
        { Name: 'nproc', Soft: 5, Hard: 5 },
      ],
    });
  });

  it('ignores, with a reason, the flags about the docker CLI itself', () => {
    const { ignored } = parseBuildOptions(['--progress', 'plain', '-q', '--rm', '-t', 'name:tag', '--build-arg', 'A=1']);
    assert.equal(ignored.length, 4);
    assert.match(ignored[0] ?? '', /^--progress is ignored: /);
    assert.match(ignored[3] ?? '', /^-t is ignored: pks names the image/);
  });

  for (const [options, pattern] of [
    [['--secret', 'id=x'], /--secret cannot be honoured by pks: build secrets need BuildKit/],
    [['--ssh=default'], /--ssh cannot be honoured/],
    [['-f', 'Other.Dockerfile'], /-f cannot be honoured by pks: set "build.dockerfile" instead/],
    [['--made-up'], /--made-up cannot be honoured by pks: it is not a docker build flag pks knows/],
    [['stray'], /not a flag/],
    [['--build-arg', 'NAME_ONLY'], /--build-arg "NAME_ONLY" is not valid: expected NAME=value/],
    [['--shm-size', 'lots'], /--shm-size "lots" is not valid/],
    [['--ulimit', 'nofile'], /--ulimit "nofile" is not valid/],
    [['--target'], /--target "" is not valid: expected a value after it/],
  ] as const) {
    it(`refuses ${options.join(' ')}`, () => {
      assert.throws(
        () => parseBuildOptions(options),
        (error: unknown) => isPksError(error) && error.code === 'E_BUILD_OPTION' && pattern.test(error.message) && error.hint !== undefined,
      );
    });
  }

  it('sends a repeated parameter once per value (extrahosts), not as JSON', () => {
    assert.equal(buildQueryString({ extrahosts: new RepeatedParam(['a:1.2.3.4', 'b:5.6.7.8']), t: 'x' }), '?extrahosts=a%3A1.2.3.4&extrahosts=b%3A5.6.7.8&t=x');
  });
});
