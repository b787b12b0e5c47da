// Telling Podman's Docker-compatible API from Docker's, and where a Podman
// host's socket is looked for.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeEngineProduct, engineProduct } from '../../src/engine/engine-product.js';
import { podmanSocketCandidates } from '../../src/ssh/engine-socket-search.js';

describe('engineProduct', () => {
  const cases: Array<[string, Parameters<typeof engineProduct>[0], string]> = [
    // GET /version of Podman 4.3 (Debian 12), trimmed.
    [
      'Podman, from its components',
      { Version: '4.3.1', Components: [{ Name: 'Podman Engine', Version: '4.3.1' }, { Name: 'Conmon', Version: 'conmon version 2.1.6' }] },
      'Podman 4.3.1',
    ],
    ['Podman, component without a version', { Version: '5.0.0', Components: [{ Name: 'Podman Engine' }] }, 'Podman 5.0.0'],
    // Docker Engine 20.10 lists "Engine", containerd, runc, docker-init.
    ['Docker', { Version: '20.10.24', Components: [{ Name: 'Engine', Version: '20.10.24' }, { Name: 'containerd', Version: '1.6.20' }] }, 'Docker 20.10.24'],
    ['an engine without components (old Docker)', { Version: '1.13.1' }, 'Docker 1.13.1'],
    ['components null', { Version: '24.0.0', Components: null }, 'Docker 24.0.0'],
  ];
  for (const [name, version, expected] of cases) {
    it(name, () => assert.equal(describeEngineProduct(engineProduct(version)), expected));
  }
});

describe('podmanSocketCandidates', () => {
  it("the login's rootless socket first, then the root service's", () => {
    assert.deepEqual(podmanSocketCandidates(1003), ['/run/user/1003/podman/podman.sock', '/run/podman/podman.sock']);
  });
});
