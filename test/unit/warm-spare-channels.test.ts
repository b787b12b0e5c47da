// The warm holder's channels kept open ahead of need: several connections
// opened at the same moment each get a channel that is open already.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { ClientChannel } from 'ssh2';
import { SPARE_CHANNELS, SpareChannels } from '../../src/engine/warm-holder.js';

/** A stand-in channel: open until closed. */
function channel(id: number): ClientChannel & { id: number } {
  const fake = Object.assign(new EventEmitter(), { id, destroyed: false, readable: true, destroy: () => (fake.destroyed = true) });
  return fake as unknown as ClientChannel & { id: number };
}

/** An opener whose opens answer only when `answer()` is called, as over a link with a round trip. */
function slowOpener(): { open: () => Promise<ClientChannel>; opened: () => number; answer: () => void } {
  let next = 1;
  let waiting: Array<() => void> = [];
  return {
    open: () => new Promise((resolve) => waiting.push(() => resolve(channel(next++)))),
    opened: () => next - 1 + waiting.length,
    answer: () => {
      const now = waiting;
      waiting = [];
      for (const done of now) done();
    },
  };
}

describe('warm holder: spare channels', () => {
  it('keeps several open, so that a burst of connections waits for no channel open', async () => {
    const link = slowOpener();
    const spares = new SpareChannels(link.open, channel(0));
    assert.equal(link.opened(), SPARE_CHANNELS - 1, 'the first channel and the rest opened ahead of need');
    link.answer();
    const burst = Array.from({ length: SPARE_CHANNELS }, () => spares.take());
    // Every take answered with no further answer from the link.
    const taken = await Promise.all(burst);
    assert.equal(new Set(taken).size, SPARE_CHANNELS);
    assert.equal(link.opened(), 2 * SPARE_CHANNELS - 1, 'each take opened its replacement');
    link.answer();
    spares.close();
  });

  it('drops a spare the engine closed, and opens a new channel rather than handing it out', async () => {
    const link = slowOpener();
    const first = channel(0);
    const spares = new SpareChannels(link.open, first, 1);
    await new Promise(setImmediate);
    first.emit('close');
    const taken = spares.take();
    await new Promise(setImmediate);
    link.answer();
    assert.notEqual(await taken, first);
    spares.close();
  });
});
