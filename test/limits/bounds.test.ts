// Bounded state from client-chosen values: counters are keyed on fixed-size digests of the names a
// client sends, and the in-process engine keeps at most `limiting.memoryCounters` of them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { LimitsOptions } from '../../src/limits/index.js';
import { compileLimit, counterKey } from '../../src/limits/compile.js';
import { MemoryEngine } from '../../src/limits/memoryEngine.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { memoryLimiter, redisLimiter, T0, uniquePrefix } from './harness.js';

const NAMES = 500;
const NAME_BYTES = 200_000;
const filler = 'n'.repeat(NAME_BYTES);
/** Distinct 200 KB tool names (ropes: cheap to build, flattened only when hashed). */
const hugeName = (i: number) => `${i}:${filler}`.slice(0, NAME_BYTES);

const perTool: LimitsOptions = {
  replicas: 1,
  limits: [{ name: 'per-tool', per: ['principal', 'tool'], rate: { requests: 2, perSeconds: 60 } }],
  anomaly: { factor: 10, minBaseline: 20, throttle: false },
};

describe('limit state bounds', () => {
  it('counter keys have one size whatever the names', () => {
    const l = compileLimit(perTool.limits[0]!, 60_000);
    const short = counterKey(l, { server: 's', method: 'tools/call', tool: 'a', principal: 'p', isNewSession: false });
    const long = counterKey(l, { server: 's', method: 'tools/call', tool: hugeName(1), principal: 'p'.repeat(10_000), isNewSession: false });
    assert.equal(long.length, short.length);
    assert.ok(long.length < 64, long);
    // Distinct values, distinct keys; values are not confused across dimensions.
    const a = counterKey(l, { server: 's', method: 'm', tool: 'b:c', principal: 'a', isNewSession: false });
    const b = counterKey(l, { server: 's', method: 'm', tool: 'c', principal: 'a:b', isNewSession: false });
    assert.notEqual(a, b);
  });

  it('500 distinct 200 KB tool names keep at most memoryCounters counters in memory', async () => {
    const engine = new MemoryEngine(() => T0, 100);
    const limit = compileLimit(perTool.limits[0]!, 60_000);
    for (let i = 0; i < NAMES; i++) {
      const key = counterKey(limit, { server: 's', method: 'tools/call', tool: hugeName(i), principal: 'p', isNewSession: false });
      const outcome = await engine.evaluate({ mode: 'check', token: `t${i}`, limits: [{ limit, key, cost: 1 }] });
      assert.equal(outcome.allowed, true);
    }
    assert.equal(engine.size, 100);
    assert.equal(engine.sweep(), 100);
  });

  it('the limiter still counts the names a client keeps using while a flood of new names goes by', async () => {
    const h = memoryLimiter({ ...perTool, memoryCounters: 1000 });
    try {
      const ask = (tool: string) => h.limiter.check({ server: 's', method: 'tools/call', tool, principal: 'alice', isNewSession: false });
      assert.equal((await ask('steady')).allowed, true);
      for (let i = 0; i < NAMES; i++) await ask(hugeName(i));
      assert.equal((await ask('steady')).allowed, true);
      const third = await ask('steady');
      assert.equal(third.allowed, false);
      assert.equal(third.refused?.limit, 'per-tool');
    } finally {
      await h.close();
    }
  });
});

describe('limit state bounds on Redis', () => {
  let redis: RedisProcess;
  before(async () => (redis = await startRedis()));
  after(() => redis?.stop());

  it('500 distinct 200 KB tool names and a 10 KB principal leave only fixed-size keys', async () => {
    const prefix = uniquePrefix();
    const h = await redisLimiter(redis.url, perTool, prefix);
    const client = new Redis(redis.url);
    try {
      const principal = `jwt:https://issuer#${'s'.repeat(10_000)}`;
      for (let i = 0; i < NAMES; i++) {
        const v = await h.limiter.check({ server: 'files', method: 'tools/call', tool: hugeName(i), principal, isNewSession: false });
        assert.equal(v.allowed, true);
      }
      const keys = (await client.keys(`${prefix}*`)).sort();
      // One counter per name, plus the principal's anomaly state.
      assert.equal(keys.length, NAMES + 1);
      const lengths = new Set(keys.filter((k) => k.includes(':l:')).map((k) => k.length));
      assert.equal(lengths.size, 1, 'every counter key has the same length');
      let bytes = 0;
      for (const k of keys) {
        assert.ok(k.length < prefix.length + 64, k);
        bytes += Number(await client.memory('USAGE', k));
      }
      // Raw names as keys took 100 MB here; digests take about 100 bytes a counter.
      assert.ok(bytes < NAMES * 1024, `${bytes} bytes in Redis`);
    } finally {
      client.disconnect();
      await h.close();
    }
  });
});
