// Several "replicas" (Limiters with their own Redis connections) on one redis-server enforce one
// limit between them, see each other's tenant overrides and free each other's sessions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LimitsOptions } from '../../src/limits/index.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { eventually } from '../sessions/redisHarness.js';
import { redisLimiter, uniquePrefix, type RedisHarness } from './harness.js';

let redis: RedisProcess;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

/** Replicas without a test clock: Redis TIME decides, as in production. */
async function replicas(options: LimitsOptions, count = 2): Promise<RedisHarness[]> {
  const prefix = uniquePrefix();
  return Promise.all(Array.from({ length: count }, () => redisLimiter(redis.url, options, prefix, null)));
}

async function closeAll(hs: RedisHarness[]): Promise<void> {
  await Promise.all(hs.map((h) => h.close()));
}

const call = { server: 'db', method: 'tools/call', tool: 'run_query', principal: 'alice', tenant: 'eng', isNewSession: false };
/** Windows this long never roll over during a test run (epoch-aligned, every ten years). */
const DECADE = { seconds: 10 * 365 * 86_400 };

describe('limits shared by replicas on one Redis', () => {
  it('the replicas together admit exactly the limit under concurrent load', async () => {
    const hs = await replicas(
      {
        replicas: 3,
        limits: [
          { name: 'tenant-quota', per: ['tenant'], quota: { requests: 50, window: DECADE } },
          { name: 'principal-sliding', per: ['principal'], quota: { requests: 70, window: DECADE, sliding: true } },
          { name: 'burst', per: ['tool'], rate: { requests: 1, perSeconds: 86_400, burst: 60 } },
        ],
      },
      3,
    );
    try {
      const verdicts = await Promise.all(Array.from({ length: 300 }, (_, i) => hs[i % 3]!.limiter.check(call)));
      assert.equal(verdicts.filter((v) => v.allowed).length, 50);
      assert.ok(verdicts.every((v) => v.degraded === undefined));
      // The refused 250 consumed neither the sliding quota nor the rate: 20 and 10 remain there.
      const other = await Promise.all(Array.from({ length: 40 }, (_, i) => hs[i % 3]!.limiter.check({ ...call, tenant: 'ops' })));
      assert.equal(other.filter((v) => v.allowed).length, 10);
      assert.equal(other.find((v) => !v.allowed)?.refused?.limit, 'burst');
    } finally {
      await closeAll(hs);
    }
  });

  it('concurrency: slots are shared, released by whichever replica took them', async () => {
    const hs = await replicas({ replicas: 2, limits: [{ name: 'run-query', per: ['tool'], concurrency: { max: 10 } }] });
    try {
      const first = await Promise.all(Array.from({ length: 100 }, (_, i) => hs[i % 2]!.limiter.check(call)));
      const held = first.flatMap((v, i) => (v.allowed ? [{ v, by: hs[i % 2]! }] : []));
      assert.equal(held.length, 10);
      await Promise.all(held.map(({ v, by }) => by.limiter.release(v.lease!)));
      const second = await Promise.all(Array.from({ length: 100 }, (_, i) => hs[i % 2]!.limiter.check(call)));
      assert.equal(second.filter((v) => v.allowed).length, 10);
    } finally {
      await closeAll(hs);
    }
  });

  it("a crashed replica's slots come back after the lease", async () => {
    const prefix = uniquePrefix();
    const options: LimitsOptions = { replicas: 2, limits: [{ name: 'run-query', per: ['tool'], concurrency: { max: 2, leaseSeconds: 1 } }] };
    const crashed = await redisLimiter(redis.url, options, prefix, null);
    const survivor = await redisLimiter(redis.url, options, prefix, null);
    try {
      assert.equal((await crashed.limiter.check(call)).allowed, true);
      assert.equal((await crashed.limiter.check(call)).allowed, true);
      await crashed.close(); // gone without releasing
      assert.equal((await survivor.limiter.check(call)).allowed, false);
      await eventually(async () => assert.equal((await survivor.limiter.check(call)).allowed, true), 5000);
    } finally {
      await survivor.close();
    }
  });

  it('tenant overrides set on one replica apply on the others at once', async () => {
    const [a, b] = await replicas({ replicas: 2, limits: [{ name: 'tenant-hourly', per: ['tenant'], quota: { requests: 1000, window: DECADE } }] });
    try {
      await a!.limiter.setTenantLimits('eng', { 'tenant-hourly': 3 });
      const verdicts = [];
      for (let i = 0; i < 4; i++) verdicts.push(await b!.limiter.check(call));
      assert.deepEqual(verdicts.map((v) => v.allowed), [true, true, true, false]);
      const usage = await b!.limiter.usage('eng');
      assert.deepEqual(
        usage.limits.map((l) => ({ override: l.override, effective: l.effective, used: l.used })),
        [{ override: 3, effective: 3, used: 3 }],
      );
      await b!.limiter.setTenantLimits('eng', { 'tenant-hourly': null });
      assert.equal((await a!.limiter.check(call)).allowed, true);
    } finally {
      await closeAll([a!, b!]);
    }
  });

  it('a session counted on one replica is freed by another one ending it', async () => {
    const [a, b] = await replicas({ replicas: 2, limits: [{ name: 'principal-sessions', per: ['principal'], sessions: { max: 1 } }] });
    const init = { server: 'db', method: 'initialize', principal: 'alice', isNewSession: true };
    try {
      const v = await a!.limiter.check(init);
      await a!.limiter.bindSession(v.lease!, 'session-1');
      await a!.limiter.release(v.lease!);
      assert.equal((await b!.limiter.check(init)).allowed, false);
      await b!.limiter.sessionEnded({ server: 'db', id: 'session-1' });
      assert.equal((await b!.limiter.check(init)).allowed, true);
    } finally {
      await closeAll([a!, b!]);
    }
  });
});
