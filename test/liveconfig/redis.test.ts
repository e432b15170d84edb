// Two replicas on one Redis: a server applied through the API on one is served by the other within
// about a second (pub/sub announcement, no polling wait), survives a replica's restart, and a delete
// converges the same way. Both end on the same configuration version.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { until } from '../e2e/mesh.js';
import { startGateway, testConfig, type RunningGateway } from '../grpc/harness.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { server, statusOf } from './support.js';

describe('live configuration: two replicas on Redis', () => {
  let redis: RedisProcess;
  let a: RunningGateway;
  let b: RunningGateway;
  const config = () => testConfig({ store: { kind: 'redis', url: redis.url, keyPrefix: 'live:' } });

  before(async () => {
    redis = await startRedis();
    [a, b] = await Promise.all([startGateway(config()), startGateway(config())]);
    for (const gw of [a, b]) await until(async () => (await fetch(`${gw.httpBase}/readyz`)).status === 200, 'replica ready');
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  it('an apply on one replica is served by the other, under the same version', async (t) => {
    assert.equal(await statusOf(b, 'wiki.test', '/mcp'), 404);
    const started = Date.now();
    await a.service.catalog!.applyServer(server('wiki', 'wiki.test', { tools: { deny: ['erase_*'] } }));
    await until(async () => (await statusOf(b, 'wiki.test', '/mcp')) === 200, 'replica b serves wiki', 5000);
    const tookMs = Date.now() - started;
    assert.equal(await statusOf(b, 'wiki.test', '/mcp', 'erase_all'), 403);
    assert.equal(b.service.catalog!.server('wiki')?.origin.source, 'api');
    assert.equal(b.service.catalog!.version(), a.service.catalog!.version());
    // The issue asks for about a second; the re-read every 10 s is only the fallback for lost announcements.
    t.diagnostic(`replica b served the applied server ${tookMs} ms after the apply began`);
    assert.ok(tookMs < 5000, `converged in ${tookMs} ms`);
  });

  it('a replica started later reads the applied servers from the store', async () => {
    const c = await startGateway(config());
    try {
      await until(async () => (await fetch(`${c.httpBase}/readyz`)).status === 200, 'replica c ready');
      assert.equal(await statusOf(c, 'wiki.test', '/mcp'), 200);
      assert.equal(c.service.catalog!.version(), a.service.catalog!.version());
    } finally {
      await c.close();
    }
  });

  it('a stored server a replica cannot serve is left out and logged; the others still converge', async () => {
    const raw = new Redis(redis.url);
    try {
      await raw.hset('live:config:servers', 'broken', JSON.stringify({ name: 'broken', match: { hosts: ['mcp.test'], pathPrefix: '/mcp' } }));
    } finally {
      raw.disconnect();
    }
    await a.service.catalog!.applyServer(server('notes', 'notes.test'));
    await until(async () => (await statusOf(b, 'notes.test', '/mcp')) === 200, 'replica b serves notes', 5000);
    assert.equal(await statusOf(b, 'wiki.test', '/mcp'), 200);
    assert.equal(b.service.catalog!.server('broken'), undefined);
    assert.match(b.logs.join(''), /already claimed by server/);
    await a.service.catalog!.deleteServer('notes');
    const cleanup = new Redis(redis.url);
    await cleanup.hdel('live:config:servers', 'broken').finally(() => cleanup.disconnect());
  });

  it('a delete on the other replica converges back (404 on both)', async () => {
    assert.equal(await b.service.catalog!.deleteServer('wiki'), true);
    await until(async () => (await statusOf(a, 'wiki.test', '/mcp')) === 404, 'replica a stops serving wiki', 5000);
    assert.equal(a.service.catalog!.version(), b.service.catalog!.version());
  });
});
