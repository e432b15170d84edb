// Redis trouble: killed under a running registry, restarted, or absent at startup. Cached sessions
// keep answering, everything else fails as StoreUnavailableError (never an unhandled rejection),
// and the same registries recover on their own.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../src/sessions/index.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { binding } from './contract.js';
import { eventually, readyReplica, replica, uniquePrefix } from './redisHarness.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let redis: RedisProcess;
before(async () => {
  process.on('unhandledRejection', onUnhandled);
  redis = await startRedis();
});
after(async () => {
  process.off('unhandledRejection', onUnhandled);
  await redis.stop();
});

it('serves cached bindings while Redis is down, fails the rest cleanly, and recovers after a restart', async () => {
  const prefix = uniquePrefix();
  const a = await readyReplica(redis.url, prefix);
  const b = await readyReplica(redis.url, prefix);
  try {
    const cached = binding({ pod: 'A:1' });
    await a.registry.put(cached);

    await redis.kill();
    await eventually(() => assert.rejects(a.registry.get('files', 'not-cached'), StoreUnavailableError));
    assert.deepEqual(await a.registry.get('files', cached.id), cached, 'a cache hit needs no Redis');
    await a.registry.touch(cached, cached.lastSeenAt + 3600_000); // swallowed, not thrown
    await assert.rejects(a.registry.put(binding()), StoreUnavailableError);
    await assert.rejects(a.registry.livePerPod('files'), StoreUnavailableError);
    await assert.rejects(a.registry.list({ limit: 5 }), StoreUnavailableError);
    await assert.rejects(a.store.ping(), StoreUnavailableError);
    assert.ok(a.errors.includes('sessions.touch'), 'failed commands reach the onError hook');

    await redis.restart();
    const s = binding();
    await eventually(() => a.registry.put(s));
    // Pub/sub is back too (once both replicas re-subscribed): a's delete reaches b's cache.
    const raw = new Redis(redis.url);
    await eventually(async () => assert.deepEqual(await raw.pubsub('NUMSUB', `${prefix}sessions:invalidate`), [`${prefix}sessions:invalidate`, 2]));
    raw.disconnect();
    // b's command connection reconnects on its own schedule.
    await eventually(async () => assert.deepEqual(await b.registry.get('files', s.id), s));
    await a.registry.delete('files', s.id);
    await eventually(async () => assert.equal(await b.registry.get('files', s.id), undefined));
    assert.deepEqual(unhandled, []);
  } finally {
    await a.close();
    await b.close();
  }
});

it('a delete while Redis is down still stops this replica routing the session', async () => {
  const r = await readyReplica(redis.url, uniquePrefix());
  try {
    const s = binding();
    await r.registry.put(s);
    await redis.kill();
    await assert.rejects(r.registry.delete('files', s.id), StoreUnavailableError);
    await assert.rejects(r.registry.get('files', s.id), StoreUnavailableError, 'no longer answered from the cache');
    await redis.restart();
    await eventually(() => r.store.ping());
  } finally {
    await r.close();
  }
  assert.deepEqual(unhandled, []);
});

it('starts without Redis and connects once it appears', async () => {
  await redis.stop();
  const r = replica(redis.url, uniquePrefix());
  try {
    await assert.rejects(r.registry.get('files', 'x'), StoreUnavailableError);
    await redis.restart();
    const s = binding();
    await eventually(() => r.registry.put(s));
    assert.deepEqual(await r.registry.get('files', s.id), s);
  } finally {
    await r.close();
  }
  assert.deepEqual(unhandled, []);
});
