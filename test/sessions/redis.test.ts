// The Redis registry on a real redis-server: the shared contract, plus expiry and touch, which
// Redis times itself (short real TTLs, and PEXPIRE/PTTL instead of waiting).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { binding, registryContract } from './contract.js';
import { eventually, readyReplica, uniquePrefix } from './redisHarness.js';

let redis: RedisProcess;
let raw: Redis;
before(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
});
after(async () => {
  raw.disconnect();
  await redis.stop();
});

registryContract('redis', async () => readyReplica(redis.url, uniquePrefix()));
registryContract('redis without a cache', async () => readyReplica(redis.url, uniquePrefix(), { cacheMax: 0 }));

describe('redis registry: ids', () => {
  it('lists, counts and ends UUID ids (stored packed in list buckets) and other ids alike', async () => {
    const r = await readyReplica(redis.url, uniquePrefix(), { buckets: 2 });
    try {
      const ids = [randomUUID(), randomUUID().toUpperCase(), 'x'.repeat(16), `${randomUUID()}-extra`, '00000000-0000-0000-0000-000000000000'];
      for (const id of ids) await r.registry.put(binding({ id, pod: 'A:1' }));
      assert.deepEqual((await r.registry.list({ limit: 10 })).items.map((b) => b.id).sort(), [...ids].sort());
      assert.deepEqual(await r.registry.livePerPod('files'), new Map([['A:1', ids.length]]));
      for (const id of ids) assert.equal((await r.registry.delete('files', id))?.id, id);
      assert.deepEqual(await r.registry.livePerPod('files'), new Map());
      assert.deepEqual((await r.registry.list({ limit: 10 })).items, []);
    } finally {
      await r.close();
    }
  });
});

describe('redis registry: time', () => {
  it('expires bindings in Redis: gone from get, livePerPod and list', async () => {
    // Long enough that a loaded machine still sees both bindings before they expire.
    const r = await readyReplica(redis.url, uniquePrefix(), { ttlMs: 1500 });
    try {
      const [a, b] = [binding({ pod: 'A:1' }), binding({ pod: 'A:1' })];
      await r.registry.put(a);
      await r.registry.put(b);
      assert.deepEqual(await r.registry.livePerPod('files'), new Map([['A:1', 2]]));
      await eventually(async () => assert.deepEqual(await r.registry.livePerPod('files'), new Map()));
      assert.equal(await r.registry.get('files', a.id), undefined);
      // Redis reclaims expired keys lazily: a listing may need a moment longer.
      await eventually(async () => assert.deepEqual((await r.registry.list({ limit: 10 })).items, []));
    } finally {
      await r.close();
    }
  });

  it('touch restarts the TTL of the binding and its list entry, keeping its count; within ttl/20 it skips the write', async () => {
    const prefix = uniquePrefix();
    const r = await readyReplica(redis.url, prefix, { ttlMs: 60_000 });
    try {
      const b = binding({ pod: 'A:1', lastSeenAt: Date.now() });
      await r.registry.put(b);
      const key = `${prefix}s:files:${b.id}`;
      await raw.pexpire(key, 5000); // as if 55 s had passed
      await r.registry.touch(b, b.lastSeenAt + 2000); // < ttl/20 = 3 s
      assert.ok((await raw.pttl(key)) <= 5000, 'skipped touch left the TTL alone');
      await r.registry.touch(b, b.lastSeenAt + 4000);
      assert.ok((await raw.pttl(key)) > 50_000, 'touch restarted the TTL');
      const [bucket] = await raw.keys(`${prefix}i:files:*`);
      assert.ok((await raw.pttl(bucket!)) > 50_000, 'the list entry lives as long as the binding');
      assert.equal((await r.registry.get('files', b.id))?.lastSeenAt, b.lastSeenAt + 4000);
      assert.deepEqual(await r.registry.livePerPod('files'), new Map([['A:1', 1]]), 'counted once, in its new window');
    } finally {
      await r.close();
    }
  });

  it('counts stay exact while sessions move across expiry windows, and every key goes once they expire', async () => {
    // ttl/64 = 47 ms windows: the touches below move each session through several.
    const prefix = uniquePrefix();
    const r = await readyReplica(redis.url, prefix, { ttlMs: 3000, buckets: 4 });
    try {
      const all = Array.from({ length: 40 }, (_, i) => binding({ pod: i % 2 ? 'A:1' : 'B:1', lastSeenAt: 0 }));
      for (const b of all) await r.registry.put(b);
      const start = Date.now();
      while (Date.now() - start < 400) for (const b of all) await r.registry.touch(b, Date.now());
      for (const b of all.slice(0, 10)) await r.registry.delete('files', b.id);
      for (const b of all.slice(10, 20)) await r.registry.put({ ...b, pod: 'C:1' });
      // Every session was written within the last ttl: all live, none counted twice.
      assert.deepEqual(await r.registry.livePerPod('files'), new Map([['A:1', 10], ['B:1', 10], ['C:1', 10]]));
      await eventually(async () => assert.deepEqual(await r.registry.livePerPod('files'), new Map()), 15_000);
      await r.registry.list({ limit: 10 });
      await eventually(async () => assert.deepEqual(await raw.keys(`${prefix}*`), []), 15_000);
    } finally {
      await r.close();
    }
  });

  it('a binding written before list buckets existed routes, and is counted and listed from its next touch', async () => {
    const prefix = uniquePrefix();
    const r = await readyReplica(redis.url, prefix, { ttlMs: 60_000 });
    try {
      const b = binding({ pod: 'A:1', lastSeenAt: Date.now() - 10_000 });
      await raw.set(`${prefix}s:files:${b.id}`, `A:1 s2025-11-25 ${b.createdAt.toString(36)} ${b.lastSeenAt.toString(36)}`, 'PX', 50_000);
      assert.deepEqual(await r.registry.get('files', b.id), b);
      assert.deepEqual(await r.registry.livePerPod('files'), new Map());
      await r.registry.touch(b, Date.now());
      assert.deepEqual(await r.registry.livePerPod('files'), new Map([['A:1', 1]]));
      assert.deepEqual((await r.registry.list({ limit: 10 })).items.map((x) => x.id), [b.id]);
      await r.registry.delete('files', b.id);
      assert.deepEqual(await r.registry.livePerPod('files'), new Map());
    } finally {
      await r.close();
    }
  });

  it('keeps only namespaced keys, each with a TTL, and none once the sessions end', async () => {
    const prefix = uniquePrefix();
    const r = await readyReplica(redis.url, prefix);
    try {
      await r.registry.put(binding({ pod: 'A:1', principal: 'alice' }));
      const keys = await raw.keys(`${prefix}*`);
      assert.deepEqual(keys.map((k) => k.slice(prefix.length).replace(/sess-\d+$/, 'ID').replace(/^([iw]:files:)\d+$/, '$1N')).sort(), ['c:files', 'i:files:N', 's:files:ID', 'servers', 'w:files:N']);
      for (const k of keys) assert.ok((await raw.pttl(k)) > 0, `${k} has a TTL`);
      const [id] = keys.flatMap((k) => /^.*s:files:(.+)$/.exec(k)?.[1] ?? []);
      await r.registry.delete('files', id!);
      assert.deepEqual((await r.registry.list({ limit: 10 })).items, []);
      assert.deepEqual(await raw.keys(`${prefix}*`), [], 'a listing forgets servers without sessions; nothing is left behind');
    } finally {
      await r.close();
    }
  });
});
