// The Redis engine on a real redis-server against the shared table, plus what is specific to Redis:
// one round trip per check whatever the number of limits, and Redis time when no clock is given.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { LimitsOptions } from '../../src/limits/index.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { redisLimiter, uniquePrefix } from './harness.js';
import { runScenario, scenarios } from './table.js';

let redis: RedisProcess;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

describe('limits on Redis: the shared table', () => {
  for (const s of scenarios) {
    it(s.name, async () => {
      const h = await redisLimiter(redis.url, s.options, uniquePrefix());
      try {
        await runScenario(s, h);
      } finally {
        await h.close();
      }
    });
  }
});

/** Commands Redis receives from clients (not those a script runs), counted with MONITOR. */
/** Calls per command since the server started, from Redis's own bookkeeping (INFO commandstats). */
async function commandCalls(client: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const m of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1] as string, Number(m[2]));
  return calls;
}

const tenLimits: LimitsOptions = {
  replicas: 3,
  headers: true,
  anomaly: { factor: 10, minBaseline: 100, throttle: true },
  limits: [
    { name: 'tenant-hourly', per: ['tenant'], quota: { requests: 1000, window: 'hour' } },
    { name: 'tenant-sliding', per: ['tenant'], quota: { requests: 1000, window: 'minute', sliding: true } },
    { name: 'search', per: ['principal'], rate: { requests: 10, perSeconds: 1, burst: 20 } },
    { name: 'per-tool', per: ['principal', 'tool'], rate: { requests: 100, perSeconds: 60 } },
    { name: 'per-server', per: ['server'], quota: { requests: 10_000, window: 'second' } },
    { name: 'per-method', per: ['method'], quota: { requests: 10_000, window: 'day' } },
    { name: 'run-query', per: ['tool'], concurrency: { max: 50 } },
    { name: 'principal-sessions', per: ['principal'], sessions: { max: 5 } },
    { name: 'tenant-cost', per: ['tenant'], cost: { budget: 10_000, window: 'day', costs: { generate_report: 50 } } },
    { name: 'global', per: [], quota: { requests: 100_000, window: 'day' } },
  ],
};

describe('limits on Redis: round trips', () => {
  it('one EVALSHA per check, for 1, 3 and 10 limits (sessions, overrides and anomaly included)', async () => {
    for (const count of [1, 3, 10]) {
      const options = { ...tenLimits, limits: tenLimits.limits.slice(0, count) };
      const h = await redisLimiter(redis.url, options, uniquePrefix(), null);
      const req = { server: 'files', method: 'tools/call', tool: 'generate_report', principal: 'alice', tenant: 'acme', sessionId: 's1', isNewSession: false };
      await h.limiter.check(req); // loads the script (EVALSHA, NOSCRIPT, EVAL) once per Redis
      const counter = new Redis(redis.url);
      // Round trips as the limiter makes them (every store command goes through run()), and what Redis
      // executed for them: scripts' inner commands show in commandstats too, so only EVALSHA is compared.
      let trips = 0;
      const run = h.store.run.bind(h.store);
      h.store.run = ((op: string, fn: never) => (trips++, run(op, fn))) as typeof h.store.run;
      try {
        const before = await commandCalls(counter);
        const checks = 10;
        for (let i = 0; i < checks; i++) {
          const v = await h.limiter.check(req);
          assert.equal(v.allowed, true, JSON.stringify(v.refused));
          if (v.lease) await h.limiter.release(v.lease);
        }
        const after = await commandCalls(counter);
        // Releasing concurrency slots happens when the response ends: one more EVALSHA then, none per check.
        const expected = options.limits.some((l) => l.concurrency) ? 2 * checks : checks;
        assert.equal(trips, expected, `${count} limits: round trips`);
        assert.equal((after.get('evalsha') ?? 0) - (before.get('evalsha') ?? 0), expected, `${count} limits: EVALSHA`);
        assert.equal((after.get('eval') ?? 0) - (before.get('eval') ?? 0), 0, 'scripts stay cached');
      } finally {
        counter.disconnect();
        await h.close();
      }
    }
  });

  it('without a test clock, time comes from Redis TIME', async () => {
    const h = await redisLimiter(redis.url, { replicas: 1, headers: true, limits: [{ name: 'q', per: [], quota: { requests: 2, window: 'hour' } }] }, uniquePrefix(), null);
    try {
      const v = await h.limiter.check({ server: 'files', method: 'tools/call', isNewSession: false });
      const secondsLeftInHour = 3600 - (Math.floor(Date.now() / 1000) % 3600);
      const t = Number(/t=(\d+)/.exec(v.headers.find((x) => x.name === 'RateLimit')!.value)![1]);
      assert.ok(Math.abs(t - secondsLeftInHour) <= 2, `t=${t}, expected about ${secondsLeftInHour}`);
    } finally {
      await h.close();
    }
  });

  it('every key is under the store prefix and has a TTL, except tenant overrides', async () => {
    const prefix = uniquePrefix();
    const h = await redisLimiter(redis.url, tenLimits, prefix, null);
    const client = new Redis(redis.url);
    try {
      const init = await h.limiter.check({ server: 'files', method: 'initialize', principal: 'alice', tenant: 'acme', isNewSession: true });
      await h.limiter.bindSession(init.lease!, 's1');
      await h.limiter.check({ server: 'files', method: 'tools/call', tool: 'run_query', principal: 'alice', tenant: 'acme', sessionId: 's1', isNewSession: false });
      await h.limiter.setTenantLimits('acme', { 'tenant-hourly': 10 });
      const keys = await client.keys('*');
      const ours = keys.filter((k) => k.startsWith(prefix));
      assert.ok(ours.length >= 10, ours.join(' '));
      for (const k of ours) {
        const ttl = await client.pttl(k);
        if (k === `${prefix}rl:ov:acme`) assert.equal(ttl, -1);
        else assert.ok(ttl > 0, `${k} has no TTL`);
      }
    } finally {
      client.disconnect();
      await h.close();
    }
  });
});
