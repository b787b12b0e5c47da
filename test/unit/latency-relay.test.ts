import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startLatencyRelay, type LatencyRelay } from '../../bench/lib/latency-relay.js';

/** A server that answers every line with `ok <line>`. */
function lineServer(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
        socket.write(`ok ${buffered.slice(0, at)}\n`);
        buffered = buffered.slice(at + 1);
      }
    });
  });
  return new Promise((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve(server)));
}

/** Sends each batch of lines and waits for all their answers before the next batch. */
async function exchange(port: number, batches: string[][]): Promise<string[]> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('connect', resolve));
  const answers: string[] = [];
  let buffered = '';
  for (const batch of batches) {
    const wanted = answers.length + batch.length;
    const done = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer): void => {
        buffered += chunk.toString();
        for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
          answers.push(buffered.slice(0, at));
          buffered = buffered.slice(at + 1);
        }
        if (answers.length >= wanted) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
    });
    socket.write(batch.map((line) => `${line}\n`).join(''));
    await done;
  }
  socket.destroy();
  return answers;
}

describe('latency relay', () => {
  let server: net.Server;
  let relay: LatencyRelay;
  before(async () => {
    server = await lineServer();
    const address = server.address();
    assert.ok(address !== null && typeof address !== 'string');
    relay = await startLatencyRelay({ targetHost: '127.0.0.1', targetPort: address.port, upMs: 5, downMs: 5 });
  });
  after(async () => {
    await relay.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('counts each sequential request/response exchange as one turn and each connection once', async () => {
    const connections = relay.connections;
    const turns = relay.turns;
    const answers = await exchange(relay.port, [['a'], ['b'], ['c']]);
    assert.deepEqual(answers, ['ok a', 'ok b', 'ok c']);
    assert.equal(relay.connections - connections, 1);
    assert.equal(relay.turns - turns, 3);
  });

  it('counts requests sent together, before any answer, as one turn', async () => {
    const turns = relay.turns;
    const answers = await exchange(relay.port, [['a', 'b', 'c'], ['d']]);
    assert.deepEqual(answers, ['ok a', 'ok b', 'ok c', 'ok d']);
    assert.equal(relay.turns - turns, 2);
  });

  it('holds each exchange for the round trip', async () => {
    const start = performance.now();
    await exchange(relay.port, [['a'], ['b']]);
    // Handshake (one round trip) plus two exchanges of 10 ms each; timers may fire a little early.
    assert.ok(performance.now() - start >= 27, `took ${(performance.now() - start).toFixed(1)} ms`);
  });
});
