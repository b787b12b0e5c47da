// Which ports `forward` forwards: the command line's `port[:local]`, or the
// configuration's forwardPorts and appPort with their portsAttributes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { splitForwardArguments } from '../../src/cli/commands/devcontainer/forward-run.js';
import { containerAddress } from '../../src/core/containers/container-address.js';
import { commandLineForwards, configuredForwards, parsePortSpec } from '../../src/core/containers/port-selection.js';

describe('port specs', () => {
  it('a bare port wants the same local port, taking the next free one when busy', () => {
    assert.deepEqual(parsePortSpec('3000'), { containerPort: 3000, localPort: 3000, requireLocalPort: false, label: 'command line' });
  });

  it('container:local wants exactly that local port', () => {
    assert.deepEqual(parsePortSpec('8080:18080'), { containerPort: 8080, localPort: 18080, requireLocalPort: true, label: 'command line' });
    assert.deepEqual(parsePortSpec('1:65535'), { containerPort: 1, localPort: 65535, requireLocalPort: true, label: 'command line' });
  });

  for (const [spec, message] of [
    ['0', /The container port in "0" is 0: ports are 1 to 65535/],
    ['65536', /The container port in "65536" is 65536/],
    ['8080:70000', /The local port in "8080:70000" is 70000/],
    ['8080:0', /The local port in "8080:0" is 0/],
    ['http', /"http" is not a port to forward/],
    ['-1', /"-1" is not a port to forward/],
    ['80:80:80', /not a port to forward/],
    ['123456', /not a port to forward/],
    ['', /not a port to forward/],
  ] as const) {
    it(`refuses "${spec}" as a usage error with a hint`, () => {
      assert.throws(
        () => parsePortSpec(spec),
        (error: unknown) => isPksError(error) && error.code === 'E_BAD_PORT' && error.exitCode === 2 && message.test(error.message) && /8080:18080/.test(error.hint ?? ''),
      );
    });
  }

  it('the command line takes the configuration\'s label for a port it names', () => {
    assert.deepEqual(commandLineForwards(['3000', '9000:19000'], { portsAttributes: { '3000': { label: 'web' } } }), [
      { containerPort: 3000, localPort: 3000, requireLocalPort: false, label: 'web' },
      { containerPort: 9000, localPort: 19000, requireLocalPort: true, label: 'command line' },
    ]);
  });

  it('a first argument that looks like a port is a port; anything else names the container', () => {
    assert.deepEqual(splitForwardArguments('3000', ['4000']), { query: undefined, specs: ['3000', '4000'] });
    assert.deepEqual(splitForwardArguments('8080:18080', []), { query: undefined, specs: ['8080:18080'] });
    assert.deepEqual(splitForwardArguments('api', ['3000']), { query: 'api', specs: ['3000'] });
    assert.deepEqual(splitForwardArguments(undefined, []), { query: undefined, specs: [] });
  });
});

describe('the configuration\'s ports', () => {
  it('forwardPorts then appPort, each once, labelled by portsAttributes or by where they come from', () => {
    const plans = configuredForwards({
      forwardPorts: [3000, 'localhost:5000', 3000],
      portsAttributes: { '3000': { label: 'web' } },
      appPorts: [8080, 5000],
    });
    assert.deepEqual(plans, [
      { containerPort: 3000, localPort: 3000, requireLocalPort: false, label: 'web' },
      { containerPort: 5000, localPort: 5000, requireLocalPort: false, label: 'forwardPorts' },
      { containerPort: 8080, localPort: 8080, requireLocalPort: false, label: 'appPort' },
    ]);
  });

  it('"service:port" is only this container\'s when the service is its own', () => {
    assert.deepEqual(
      configuredForwards({ forwardPorts: ['db:5432', 'app:3000'], service: 'app' }).map((p) => p.containerPort),
      [3000],
    );
    assert.deepEqual(configuredForwards({ forwardPorts: ['db:5432'] }), [], 'no service: another service\'s port is never this container\'s');
  });

  it('onAutoForward "ignore" leaves a port out; requireLocalPort makes its local port required', () => {
    const plans = configuredForwards({
      forwardPorts: [3000, 9229, 4000],
      portsAttributes: { '9229': { onAutoForward: 'ignore' }, '4000': { requireLocalPort: true, label: 'api' } },
    });
    assert.deepEqual(plans, [
      { containerPort: 3000, localPort: 3000, requireLocalPort: false, label: 'forwardPorts' },
      { containerPort: 4000, localPort: 4000, requireLocalPort: true, label: 'api' },
    ]);
  });

  it('portsAttributes keys may be ranges or patterns; otherPortsAttributes covers the rest', () => {
    const plans = configuredForwards({
      forwardPorts: [3001, 8123, 7000],
      portsAttributes: { '3000-3010': { label: 'range' }, '^81\\d\\d$': { label: 'pattern' } },
      otherPortsAttributes: { onAutoForward: 'ignore' },
    });
    assert.deepEqual(plans.map((p) => `${p.containerPort} ${p.label}`), ['3001 range', '8123 pattern']);
  });

  it('ports out of range in a recorded configuration are skipped, not forwarded', () => {
    assert.deepEqual(configuredForwards({ forwardPorts: [0, 70000], appPorts: [65536] }), []);
  });
});

describe('the container\'s address', () => {
  it('its address on its network, else the engine\'s machine for the host network, else none', () => {
    assert.equal(containerAddress({ NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.5' } } } }), '172.17.0.5');
    assert.equal(containerAddress({ NetworkSettings: { IPAddress: '172.17.0.6', Networks: {} } }), '172.17.0.6');
    assert.equal(containerAddress({ HostConfig: { NetworkMode: 'host' }, NetworkSettings: { Networks: { host: { IPAddress: '' } } } }), '127.0.0.1');
    assert.equal(containerAddress({ HostConfig: { NetworkMode: 'none' }, NetworkSettings: { Networks: { none: { IPAddress: '' } } } }), undefined);
    assert.equal(containerAddress({ NetworkSettings: { IPAddress: '', Networks: { bridge: { IPAddress: '' } } } }), undefined, 'a stopped container');
  });
});
