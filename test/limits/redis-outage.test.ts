// Redis killed mid-run: fail-open limits count locally at limit / replicas, fail-closed ones refuse
// with a short Retry-After, nothing rejects or crashes, logs and metrics say so, and limits are
// shared again once Redis is back.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { Limiter, LimitMetrics, type LimitsOptions } from '../../src/limits/index.js';
import { RedisStore, StoreUnavailableError } from '../../src/store/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { eventually } from '../sessions/redisHarness.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { uniquePrefix } from './harness.js';

let redis: RedisProcess;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
before(async () => {
  process.on('unhandledRejection', onUnhandled);
  redis = await startRedis();
});
after(async () => {
  process.off('unhandledRejection', onUnhandled);
  await redis?.stop();
});

const options: LimitsOptions = {
  replicas: 2,
  limits: [
    { name: 'tenant-hourly', per: ['tenant'], match: { tools: ['search'] }, quota: { requests: 10, window: 'hour' }, whenUnavailable: 'fail-open' },
    { name: 'reports', per: ['tool'], match: { tools: ['generate_report'] }, quota: { requests: 100, window: 'hour' }, whenUnavailable: 'fail-closed' },
    { name: 'run-query', per: ['tool'], match: { tools: ['run_query'] }, concurrency: { max: 4 } },
    { name: 'principal-sessions', per: ['principal'], sessions: { max: 5 } },
  ],
};

const call = (tool: string, tenant = 'eng') => ({ server: 'files', method: 'tools/call', tool, principal: 'alice', tenant, isNewSession: false });

describe('limits when Redis is killed', () => {
  it('fail-open counts locally at limit / replicas, fail-closed refuses, both recover after restart', async () => {
    const logs: Array<{ level: string; msg: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
        done();
      },
    });
    const registry = new Registry();
    const store = new RedisStore({ url: redis.url, keyPrefix: uniquePrefix(), logger: createLogger('silent'), commandTimeoutMs: 300 });
    store.connect();
    await eventually(() => store.ping());
    const limiter = new Limiter(options, { store, logger: createLogger('info', sink), metrics: new LimitMetrics(registry) });
    limiter.start();
    try {
      // Before: shared counting; an override this replica has seen survives the outage.
      await limiter.setTenantLimits('big', { 'tenant-hourly': 8 });
      assert.equal((await limiter.check(call('search', 'big'))).allowed, true);
      const slot = await limiter.check(call('run_query'));
      const init = await limiter.check({ server: 'files', method: 'initialize', principal: 'alice', tenant: 'eng', isNewSession: true });
      assert.equal(slot.allowed && init.allowed, true);

      await redis.kill();

      const open = [];
      for (let i = 0; i < 7; i++) open.push(await limiter.check(call('search')));
      assert.deepEqual(open.map((v) => v.allowed), [true, true, true, true, true, false, false], 'local limit 10 / 2 replicas');
      assert.ok(open.every((v) => v.degraded === 'fail-open'));
      assert.equal(open[5]!.refused?.limit, 'tenant-hourly');
      const big = [];
      for (let i = 0; i < 5; i++) big.push((await limiter.check(call('search', 'big'))).allowed);
      assert.deepEqual(big, [true, true, true, true, false], 'remembered override 8 / 2 replicas');

      const closed = await limiter.check(call('generate_report'));
      assert.equal(closed.allowed, false);
      assert.equal(closed.degraded, 'fail-closed');
      assert.deepEqual(closed.refused, { limit: 'reports', retryAfterSeconds: 1, policy: '"reports";q=100;w=3600', reason: 'store_unavailable' });
      assert.ok(closed.headers.some((h) => h.name === 'Retry-After' && h.value === '1'));

      // Hooks into the store after the verdict never reject.
      await limiter.release(slot.lease!);
      await limiter.bindSession(init.lease!, 's1');
      await limiter.sessionEnded({ server: 'files', id: 's1' });
      await assert.rejects(limiter.usage('eng'), StoreUnavailableError);

      await redis.restart();
      await eventually(async () => assert.equal((await limiter.check(call('search', 'other'))).degraded, undefined), 10_000);
      // Shared counting again (the restarted Redis is empty): the full limit is back.
      const back = [];
      for (let i = 0; i < 11; i++) back.push((await limiter.check(call('search', 'fresh'))).allowed);
      assert.equal(back.filter(Boolean).length, 10);
      assert.equal((await limiter.check(call('generate_report'))).allowed, true);

      const warned = logs.filter((l) => l.msg.startsWith('limits store unavailable'));
      assert.equal(warned.length, 1, 'one warning per outage, not one per request');
      assert.ok(logs.some((l) => l.msg.startsWith('limits store reachable again')));
      const metrics = await registry.getMetricsAsJSON();
      const unavailable = metrics.find((m) => m.name === 'mcpgw_limit_store_unavailable_total')!.values;
      assert.equal(unavailable.find((v) => v.labels.policy === 'fail-closed')?.value, 1);
      assert.ok((unavailable.find((v) => v.labels.policy === 'fail-open')?.value ?? 0) >= 12);
      assert.deepEqual(unhandled, []);
    } finally {
      limiter.stop();
      await store.close();
    }
  });
});
