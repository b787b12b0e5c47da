// The tests' one polling helper: how often it probes, when it gives up, and
// what it says then.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { poll, waitFor } from '../helpers/wait.js';

describe('waitFor and poll', () => {
  it('probe until the condition holds, pausing between probes', async () => {
    let calls = 0;
    const started = Date.now();
    await waitFor(() => ++calls === 3, { timeoutMs: 5_000, intervalMs: 30 });
    assert.equal(calls, 3);
    assert.ok(Date.now() - started >= 55, 'two pauses of 30 ms');
    assert.equal(await poll(async () => true, 0), true);
  });

  it('waitFor throws its message once the time is up; a message function describes that moment', async () => {
    let calls = 0;
    const started = Date.now();
    await assert.rejects(
      waitFor(() => (calls++, false), { timeoutMs: 100, intervalMs: 20, message: () => `still false after ${calls} probes` }),
      (error: Error) => /^still false after \d+ probes$/.test(error.message),
    );
    assert.ok(Date.now() - started >= 100, 'not before the timeout');
    assert.ok(calls >= 3, `probed ${calls} times`);
    await assert.rejects(waitFor(() => false, 50), /^Error: condition not met within 50 ms$/);
  });

  it('poll returns false instead of throwing', async () => {
    assert.equal(await poll(() => false, { timeoutMs: 50, intervalMs: 10 }), false);
  });
});
