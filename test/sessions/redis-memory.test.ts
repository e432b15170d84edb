// How much Redis memory one session costs, for sizing (docs/operations.md quotes these figures).
// Realistic fields: UUID session ids (what the MCP SDKs issue), pod "ip:port", with and without a
// principal; list buckets sized as docs/operations.md advises (live sessions ÷ buckets ≈ 64).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { readyReplica, uniquePrefix } from './redisHarness.js';

// Not just past a power of two, where Redis's key tables have just doubled.
const SESSIONS = 12_000;
const BUCKETS = 192;
const PODS = 10;

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

async function usedMemory(): Promise<number> {
  const info = await raw.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

for (const principal of [false, true]) {
  it(`measures bytes per session over ${SESSIONS} sessions${principal ? ', with a 20-character principal' : ''}`, async (t) => {
    const prefix = uniquePrefix();
    const r = await readyReplica(redis.url, prefix, { buckets: BUCKETS, ttlMs: 86_400_000 });
    try {
      const before = await usedMemory();
      for (let i = 0; i < SESSIONS; i += 512) {
        await Promise.all(
          Array.from({ length: Math.min(512, SESSIONS - i) }, (_, j) => {
            const now = Date.now();
            return r.registry.put({
              id: randomUUID(),
              server: 'files',
              kind: 'streamable',
              pod: `10.12.34.${(i + j) % PODS}:8080`,
              ...(principal ? { principal: `user-${String(i + j).padStart(6, '0')}@example.com` } : {}),
              revision: '2025-11-25',
              createdAt: now,
              lastSeenAt: now,
            });
          }),
        );
      }
      const perSession = Math.round(((await usedMemory()) - before) / SESSIONS);
      const buckets = await raw.keys(`${prefix}i:files:*`);
      const encodings = new Set(await Promise.all(buckets.map((k) => raw.object('ENCODING', k))));
      t.diagnostic(`used_memory grew ${perSession} bytes per session; ${buckets.length} list buckets, encoded ${[...encodings].join(', ')}`);
      assert.equal((await r.registry.livePerPod('files')).get('10.12.34.0:8080'), SESSIONS / PODS);
      assert.deepEqual([...encodings], ['listpack'], 'buckets of about 64 ids stay in the compact encoding');
      // Issue 18's budget; trips on a layout change that costs more.
      assert.ok(perSession <= (principal ? 330 : 300), `${perSession} bytes per session`);
    } finally {
      await r.close();
    }
  });
}
