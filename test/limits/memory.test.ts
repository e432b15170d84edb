// The memory engine (single-replica default) against the shared table, plus what only needs one
// implementation: header formats, the JSON-RPC refusal, config validation, usage reports.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LimitConfigError, LimitInputError, limitRefusal, type LimitsOptions } from '../../src/limits/index.js';
import { compileLimit } from '../../src/limits/compile.js';
import { MemoryEngine } from '../../src/limits/memoryEngine.js';
import { memoryLimiter, T0 } from './harness.js';
import { header, runScenario, scenarios } from './table.js';

describe('limits in memory: the shared table', () => {
  for (const s of scenarios) {
    it(s.name, async () => {
      const h = memoryLimiter(s.options);
      try {
        await runScenario(s, h);
      } finally {
        await h.close();
      }
    });
  }
});

const call = { server: 'files', method: 'tools/call', tool: 'generate_report', principal: 'alice', tenant: 'acme', isNewSession: false };

describe('limits in memory: answers', () => {
  it('RateLimit-Policy names each limit with its quota, window and unit', async () => {
    const { limiter } = memoryLimiter({
      replicas: 1,
      headers: true,
      limits: [
        { name: 'search', per: ['principal'], rate: { requests: 10, perSeconds: 1, burst: 20 } },
        { name: 'daily-cost', per: ['tenant'], cost: { budget: 10_000, window: 'day', costs: { generate_report: 50 } } },
        { name: 'reports-in-flight', per: [], concurrency: { max: 50 } },
      ],
    });
    const v = await limiter.check(call);
    assert.equal(
      header(v, 'RateLimit-Policy'),
      '"search";q=20;w=2, "daily-cost";q=10000;w=86400;qu="mcpgw-cost-units", "reports-in-flight";q=50;qu="concurrent-requests"',
    );
    assert.equal(header(v, 'RateLimit'), '"search";r=19;t=1, "daily-cost";r=9950;t=86400, "reports-in-flight";r=49');
    await limiter.release(v.lease!);
  });

  it('allowed responses carry no headers unless configured; refusals always do', async () => {
    const { limiter } = memoryLimiter({ replicas: 1, limits: [{ name: 'tenant-hourly', per: ['tenant'], quota: { requests: 1, window: 'hour' } }] });
    const allowed = await limiter.check({ ...call, now: T0 });
    assert.deepEqual(allowed.headers, []);
    const refused = await limiter.check({ ...call, now: T0 + 1000 });
    assert.deepEqual(refused.headers, [
      { name: 'RateLimit-Policy', value: '"tenant-hourly";q=1;w=3600' },
      { name: 'RateLimit', value: '"tenant-hourly";r=0;t=3599' },
      { name: 'Retry-After', value: '3599' },
    ]);
    assert.deepEqual(refused.refused, { limit: 'tenant-hourly', retryAfterSeconds: 3599, policy: '"tenant-hourly";q=1;w=3600', reason: 'exceeded' });
  });

  it('the JSON-RPC refusal is 429 -31429 naming the limit, not internals', () => {
    const r = limitRefusal({ limit: 'tenant-hourly', retryAfterSeconds: 42, policy: '"tenant-hourly";q=1000;w=3600', reason: 'exceeded' }, 7);
    assert.deepEqual(r, {
      status: 429,
      code: -31429,
      message: 'Rate limit "tenant-hourly" exceeded; retry after 42 s',
      id: 7,
      reason: 'rate_limited',
      data: { limit: 'tenant-hourly', retryAfterSeconds: 42 },
    });
    const closed = limitRefusal({ limit: 'tenant-hourly', retryAfterSeconds: 1, policy: '', reason: 'store_unavailable' });
    assert.equal(closed.status, 503);
    assert.equal(closed.code, -31503);
  });

  it('a request no limit applies to is allowed without touching the store', async () => {
    const { limiter } = memoryLimiter({ replicas: 1, limits: [{ name: 'q', per: [], match: { servers: ['other'] }, quota: { requests: 1, window: 'hour' } }] });
    for (let i = 0; i < 3; i++) assert.deepEqual(await limiter.check(call), { allowed: true, headers: [] });
  });
});

describe('limits in memory: tenant administration', () => {
  const options: LimitsOptions = {
    replicas: 1,
    limits: [
      { name: 'tenant-hourly', per: ['tenant'], quota: { requests: 1000, window: 'hour' } },
      { name: 'tenant-tool', per: ['tenant', 'tool'], rate: { requests: 5, perSeconds: 1 } },
      { name: 'engineering-only', per: ['tenant'], match: { tenants: ['engineering'] }, concurrency: { max: 4 } },
      { name: 'global', per: [], quota: { requests: 10, window: 'minute' } },
    ],
  };

  it('usage shows effective limits, overrides, and usage of counters keyed on the tenant alone', async () => {
    const { limiter, clock } = memoryLimiter(options);
    clock.at(60_000);
    for (let i = 0; i < 3; i++) await limiter.check(call);
    await limiter.setTenantLimits('acme', { 'tenant-hourly': 500 });
    assert.deepEqual(await limiter.usage('acme'), {
      tenant: 'acme',
      limits: [
        { name: 'tenant-hourly', kind: 'quota', per: ['tenant'], configured: 1000, override: 500, effective: 500, windowSeconds: 3600, used: 3, remaining: 497, resetSeconds: 3540 },
        { name: 'tenant-tool', kind: 'rate', per: ['tenant', 'tool'], configured: 5, effective: 5 },
      ],
    });
    await limiter.setTenantLimits('acme', { 'tenant-hourly': null });
    assert.equal((await limiter.usage('acme')).limits[0]!.effective, 1000);
  });

  it('refuses overrides of unknown limits, limits not per tenant, and non-positive numbers', async () => {
    const { limiter } = memoryLimiter(options);
    await assert.rejects(limiter.setTenantLimits('acme', { nope: 1 }), LimitInputError);
    await assert.rejects(limiter.setTenantLimits('acme', { global: 1 }), LimitInputError);
    await assert.rejects(limiter.setTenantLimits('acme', { 'tenant-hourly': 0 }), LimitInputError);
    await assert.rejects(limiter.setTenantLimits('', { 'tenant-hourly': 1 }), LimitInputError);
  });
});

describe('limits in memory: configuration', () => {
  it('lists every problem at once', () => {
    const err = (() => {
      try {
        memoryLimiter({
          replicas: 0,
          limits: [
            { name: 'two-kinds', per: [], rate: { requests: 1, perSeconds: 1 }, quota: { requests: 1, window: 'hour' } },
            { name: 'bad name!', per: ['planet' as never], sessions: { max: 1 } },
            { name: 'anomaly', per: ['tool'], sessions: { max: 1 } },
            { name: 'w', per: [], quota: { requests: 1, window: { seconds: 0 } } },
          ],
        });
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof LimitConfigError);
    assert.equal(err.problems.length, 7, err.problems.join('\n'));
  });
});

describe('memory engine housekeeping', () => {
  it('sweep drops expired counters and slots', async () => {
    let now = T0;
    const engine = new MemoryEngine(() => now);
    const limit = compileLimit({ name: 'q', per: ['principal'], quota: { requests: 5, window: 'second' } }, 60_000);
    const slots = compileLimit({ name: 'c', per: [], concurrency: { max: 500, leaseSeconds: 2 } }, 60_000);
    for (let i = 0; i < 100; i++) {
      await engine.evaluate({ mode: 'check', token: `t${i}`, limits: [{ limit, key: `k${i}`, cost: 1 }, { limit: slots, key: 'slots', cost: 1 }] });
    }
    assert.equal(engine.sweep(), 101);
    now += 1000;
    assert.equal(engine.sweep(), 1);
    now += 1000;
    assert.equal(engine.sweep(), 0);
  });
});
