// Which git identity values leave this machine: only plain one-line text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeIdentity, unsafeIdentityValue } from '../../src/core/containers/git-identity.js';

describe('git identity values', () => {
  it('passes plain names and emails, accents included', () => {
    assert.deepEqual(safeIdentity({ name: 'Zoë O\'Brien-Łukasz', email: 'zoe@example.org' }), {
      entries: [['user.name', 'Zoë O\'Brien-Łukasz'], ['user.email', 'zoe@example.org']],
      refused: [],
    });
  });

  it('refuses control characters, empty, overlong and bracketed values, keeping the others', () => {
    assert.equal(unsafeIdentityValue('user.name', 'Ada\nLovelace'), 'user.name contains control characters');
    assert.equal(unsafeIdentityValue('user.name', 'Ada \u001b[31mred'), 'user.name contains control characters');
    assert.equal(unsafeIdentityValue('user.name', '   '), 'user.name is empty');
    assert.equal(unsafeIdentityValue('user.name', 'x'.repeat(257)), 'user.name is longer than 256 characters');
    assert.equal(unsafeIdentityValue('user.email', 'a <b@c>'), 'user.email contains spaces or angle brackets');
    assert.deepEqual(safeIdentity({ name: 'Ada', email: 'ada@x\r' }), { entries: [['user.name', 'Ada']], refused: ['user.email contains control characters'] });
    assert.deepEqual(safeIdentity({}), { entries: [], refused: [] });
  });
});
