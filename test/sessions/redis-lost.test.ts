// Bindings a failover loses are counted: here Redis comes back empty (as a promoted replica that
// never received the last writes would), and the replica that wrote them counts every one, once.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { RedisSessionRegistry } from '../../src/sessions/index.js';
import { RedisStore } from '../../src/store/index.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { eventually, silent, uniquePrefix } from './redisHarness.js';

let redis: RedisProcess;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

it('counts the bindings written before an outage that Redis no longer has after it, once each', async () => {
  let lost = 0;
  const store = new RedisStore({ url: redis.url, keyPrefix: uniquePrefix(), logger: silent, commandTimeoutMs: 500 });
  const registry = new RedisSessionRegistry(store, { ttlMs: 60_000, cache: { max: 100, ttlMs: 60_000 }, logger: silent, onLost: (n) => (lost += n) });
  store.connect();
  registry.start();
  try {
    await eventually(() => store.ping());
    const now = Date.now();
    const ids = ['a', 'b', 'c', 'd', 'e'];
    for (const id of ids) await registry.put({ id, server: 'files', kind: 'streamable', pod: '10.0.0.1:8080', revision: '2025-11-25', createdAt: now, lastSeenAt: now });
    await registry.delete('files', 'e'); // ended on purpose: not a loss
    await redis.kill();
    await assert.rejects(store.ping());
    await redis.restart(); // empty, like a replica promoted before the writes reached it
    await eventually(() => store.ping(), 10_000);
    await eventually(() => assert.equal(lost, 4));
    await store.ping();
    assert.equal(lost, 4, 'counted once');
  } finally {
    registry.stop();
    await store.close();
  }
});
