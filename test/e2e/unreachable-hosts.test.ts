// Registered hosts that are not there — no route, nothing listening, no
// answer at all, a server that never speaks SSH — fail at once with a clear
// error, never retried with back-off on a first connection: `list
// --all-remotes` still lists the hosts that answer, in about the time of one
// connect timeout, and a command aimed at one dead host says so at once.
// Retrying a session that dropped is faults.test.ts's business (r3); nothing
// here touches r3.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { E2eFixture } from '../helpers/e2e-fixture.js';
import { assertErrorCode, errorCodes, logLines } from '../helpers/error-codes.js';
import { STACK_TRACE, type PksResult } from '../helpers/pks-cli.js';

const fixture = new E2eFixture(['local', 'r1']);
/** Inside the test network's guard route: the kernel answers "no route to host" without sending a packet. */
const NO_ROUTE_HOST = '10.231.0.100';
const BUSYBOX = JSON.stringify({ image: 'pks-test/busybox:latest' });
/** ConnectTimeout for the hosts on 127.0.0.1, in seconds. */
const CONNECT_TIMEOUT_S = 2;
let onR1: string;
const closers: Array<() => void> = [];

before(async () => {
  await fixture.setUp();
  const project = await fixture.project('r1', { '.devcontainer/devcontainer.json': BUSYBOX });
  onR1 = project.dir;
  const spawned = await fixture.spawn('r1', project.dir);
  assert.equal(spawned.code, 0, spawned.stderr);
  await writeFile(path.join(fixture.sandbox.home, '.ssh', 'config'), `Host 127.0.0.1\n  ConnectTimeout ${CONNECT_TIMEOUT_S}\n`, { mode: 0o600 });
});

after(async () => {
  for (const close of closers) close();
  await fixture.tearDown();
});

async function addHost(id: string, host: string, port: number, user = fixture.env.r1.user): Promise<void> {
  const added = await fixture.sandbox.run(['remote', 'add', id, '--host', host, '--port', String(port), '--user', user, '--key', fixture.env.r1.key, '--no-test']);
  assert.equal(added.code, 0, added.stderr);
}

async function removeHost(id: string): Promise<void> {
  const removed = await fixture.sandbox.run(['remote', 'remove', id, '--yes', '--timeout', '1']);
  assert.equal(removed.code, 0, removed.stderr);
}

async function timed(args: string[]): Promise<PksResult & { ms: number }> {
  const started = performance.now();
  const result = await fixture.sandbox.run(args);
  return { ...result, ms: performance.now() - started };
}

/** A port on 127.0.0.1 that drops every SYN: a listener (backlog 0) that never accepts, its queue already full. */
async function blackHolePort(): Promise<number> {
  const script = [
    'use Socket;',
    'socket(my $s, PF_INET, SOCK_STREAM, 0) or die;',
    'bind($s, pack_sockaddr_in(0, inet_aton("127.0.0.1"))) or die;',
    'listen($s, 0) or die;',
    'my ($port) = unpack_sockaddr_in(getsockname($s));',
    '$| = 1; print "$port\\n"; <STDIN>;',
  ].join(' ');
  const holder: ChildProcessWithoutNullStreams = spawn('perl', ['-e', script], { stdio: 'pipe' });
  closers.push(() => holder.stdin.end());
  const port = await new Promise<number>((resolve, reject) => {
    holder.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    holder.once('error', reject);
    holder.once('exit', (code) => reject(new Error(`the listener exited with ${code}`)));
  });
  const filler = net.connect(port, '127.0.0.1');
  closers.push(() => filler.destroy());
  await new Promise<void>((resolve, reject) => filler.once('connect', resolve).once('error', reject));
  return port;
}

/** A server that accepts TCP connections and never says a word. */
async function silentPort(): Promise<number> {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  return (silent.address() as net.AddressInfo).port;
}

function listedProjects(result: PksResult): Array<{ projectPath: string; host: string }> {
  return JSON.parse(result.stdout) as Array<{ projectPath: string; host: string }>;
}

describe('hosts that are not there fail fast', () => {
  it('list --all-remotes: no route and connection refused cost no retries; the engines that answer are listed', async (t) => {
    await addHost('noroute', NO_ROUTE_HOST, 22);
    await addHost('refused', fixture.env.r1.host, 2);
    try {
      const result = await timed(['devcontainer', 'list', '--all-remotes', '--format', 'json', '--log-format', 'json']);
      const shown = `${Math.round(result.ms)} ms, exit ${result.code}\nstderr: ${result.stderr}`;
      t.diagnostic(`list --all-remotes with a host without route and one refusing: ${Math.round(result.ms)} ms`);
      assert.ok(result.ms < 1_500, `list took ${shown}`);
      assertErrorCode(result, 'E_LIST_PARTIAL', 1);
      assert.ok(listedProjects(result).some((c) => c.projectPath === onR1 && c.host === 'r1'), `r1 is listed\n${shown}`);
      const errors = logLines(result).filter((line) => line.level === 'error');
      const noRoute = errors.find((line) => line.message.startsWith('remote host "noroute"'));
      const refused = errors.find((line) => line.message.startsWith('remote host "refused"'));
      assert.equal(noRoute?.code, 'E_SSH_UNREACHABLE', shown);
      assert.match(noRoute.message, /no route to host/, 'the row says why');
      assert.equal(refused?.code, 'E_SSH_UNREACHABLE', shown);
      assert.match(refused.message, /connection refused/, 'the row says why');
      assert.deepEqual(errorCodes(result).sort(), ['E_LIST_PARTIAL', 'E_SSH_UNREACHABLE', 'E_SSH_UNREACHABLE']);
      assert.ok(!logLines(result).some((line) => line.code === 'W_RETRY'), `no retry notice\n${shown}`);
    } finally {
      await removeHost('noroute');
      await removeHost('refused');
    }
  });

  it('list --all-remotes: hosts that never answer cost one connect timeout in all, not one each, and are not retried', async (t) => {
    const blackHole = await blackHolePort();
    const silent = await silentPort();
    await addHost('blackhole-a', '127.0.0.1', blackHole, 'pks-a');
    await addHost('blackhole-b', '127.0.0.1', blackHole, 'pks-b');
    await addHost('silent', '127.0.0.1', silent);
    try {
      const result = await timed(['devcontainer', 'list', '--all-remotes', '--format', 'json', '--log-format', 'json']);
      const shown = `${Math.round(result.ms)} ms, exit ${result.code}\nstderr: ${result.stderr}`;
      t.diagnostic(`list --all-remotes with three hosts that never answer (ConnectTimeout ${CONNECT_TIMEOUT_S}): ${Math.round(result.ms)} ms`);
      // Together, at once: about one ConnectTimeout; one after another, or retried, it would be 2 or 5 of them.
      assert.ok(result.ms < (CONNECT_TIMEOUT_S + 1.5) * 1000, `list took ${shown}`);
      assertErrorCode(result, 'E_LIST_PARTIAL', 1);
      assert.ok(listedProjects(result).some((c) => c.projectPath === onR1 && c.host === 'r1'), `r1 is listed\n${shown}`);
      const errors = logLines(result).filter((line) => line.level === 'error');
      const row = (id: string) => errors.find((line) => line.message.startsWith(`remote host "${id}"`));
      for (const id of ['blackhole-a', 'blackhole-b', 'silent']) assert.equal(row(id)?.code, 'E_SSH_UNREACHABLE', `${id}\n${shown}`);
      assert.match(row('blackhole-a')?.message ?? '', /over SSH: connection timed out/, 'the row says why');
      assert.match(row('silent')?.message ?? '', /over SSH: timed out waiting for the SSH handshake/, 'the row says why');
      assert.deepEqual(errorCodes(result).sort(), ['E_LIST_PARTIAL', 'E_SSH_UNREACHABLE', 'E_SSH_UNREACHABLE', 'E_SSH_UNREACHABLE'], shown);
      assert.ok(!logLines(result).some((line) => line.code === 'W_RETRY'), `no retry notice\n${shown}`);
      assert.doesNotMatch(result.stderr, STACK_TRACE);
    } finally {
      await removeHost('blackhole-a');
      await removeHost('blackhole-b');
      await removeHost('silent');
    }
  });

  it('one command aimed at a dead host: a clear error at once, without retries', async (t) => {
    await addHost('noroute', NO_ROUTE_HOST, 22);
    await addHost('refused', fixture.env.r1.host, 2);
    try {
      for (const id of ['noroute', 'refused']) {
        const result = await timed(['devcontainer', 'list', '--remote', id, '--log-format', 'json']);
        const shown = `${id}: ${Math.round(result.ms)} ms, exit ${result.code}\nstderr: ${result.stderr}`;
        t.diagnostic(`list --remote ${id}: ${Math.round(result.ms)} ms`);
        assert.ok(result.ms < 1_500, shown);
        assertErrorCode(result, 'E_SSH_UNREACHABLE', 1);
        assert.deepEqual(errorCodes(result), ['E_SSH_UNREACHABLE'], shown);
        assert.ok(!logLines(result).some((line) => line.code === 'W_RETRY'), `no retry notice\n${shown}`);
      }
    } finally {
      await removeHost('noroute');
      await removeHost('refused');
    }
  });
});
