// A Feature given by the URL of a tarball, served by an HTTP server on
// 127.0.0.1 in this test: the built pks downloads it on this machine and
// installs it into the image on the local engine and on a remote host, with
// its options, like any other Feature.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { execCapture } from '../../src/core/containers/exec.js';
import { tarStream, type TarEntry } from '../../src/common/tar/tar-writer.js';
import { E2eFixture } from '../helpers/e2e-fixture.js';

const fixture = new E2eFixture(['local', 'r1']);
let server: Server;
let tarballUrl: string;
let downloads = 0;

async function tgz(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of tarStream(entries) as Readable) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

before(async () => {
  await fixture.setUp();
  const body = await tgz([
    {
      type: 'file',
      name: './devcontainer-feature.json',
      mode: 0o644,
      content: Buffer.from(JSON.stringify({ id: 'greeter', version: '1.0.0', options: { greeting: { type: 'string', default: 'hi' } }, containerEnv: { GREETER: 'installed' } })),
    },
    { type: 'file', name: './install.sh', mode: 0o755, content: Buffer.from('#!/bin/sh\nset -e\nmkdir -p /usr/local/share\necho "$GREETING" > /usr/local/share/greeting\n') },
  ]);
  server = createServer((req, res) => {
    if (req.url !== '/devcontainer-feature-greeter.tgz') {
      res.writeHead(404).end();
      return;
    }
    downloads++;
    res.writeHead(200, { 'content-type': 'application/gzip' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tarballUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/devcontainer-feature-greeter.tgz`;
});
after(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await fixture.tearDown();
});

for (const where of ['local', 'r1'] as const) {
  describe(`Features by tarball URL (${where === 'local' ? 'local engine' : `remote host ${where}`})`, () => {
    it('installs the downloaded Feature with its options and containerEnv', async () => {
      const before = downloads;
      const p = await fixture.project(where, {
        '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/busybox:latest', features: { [tarballUrl]: { greeting: `hello from ${where}` } } }),
      });
      const result = await fixture.spawn(where, p.dir);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(downloads > before, 'pks asked the server for the tarball');
      const id = result.outcome?.containerId ?? '';
      const greeting = await execCapture(fixture.engine(where), id, { cmd: ['sh', '-c', 'cat /usr/local/share/greeting; echo "$GREETER"'], user: 'root' });
      assert.equal(greeting.exitCode, 0, greeting.stderr);
      assert.equal(greeting.stdout, `hello from ${where}\ninstalled\n`);
    });
  });
}
