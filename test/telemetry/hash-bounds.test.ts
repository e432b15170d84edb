// The session id hash cache holds client-sent ids: bounded in count and in the size of each id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionIdHasher } from '../../src/telemetry/index.js';

test('session id hashes: long client-sent ids are hashed but never cached, the cache is bounded', () => {
  const hasher = new SessionIdHasher('salt');
  const long = 'x'.repeat(60_000);
  assert.equal(hasher.hash(long), hasher.hash(long));
  for (let i = 0; i < 100; i++) hasher.hash(`${i}${long}`);
  assert.equal(hasher.cachedIds, 0);
  for (let i = 0; i < 12_000; i++) hasher.hash(`session-${i}`);
  assert.equal(hasher.cachedIds, 10_000);
  assert.equal(hasher.hash('s'.repeat(256)).length, 16);
  assert.equal(hasher.cachedIds, 10_000);
});
