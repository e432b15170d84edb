// Building stores and registries from options: memory stays the default; Redis from a URL or
// MCPGW_REDIS_URL, answering readiness pings.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createSessionRegistry, MemorySessionRegistry, RedisSessionRegistry } from '../../src/sessions/index.js';
import { createStore, RedisStore } from '../../src/store/index.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { binding } from './contract.js';
import { eventually, silent, uniquePrefix } from './redisHarness.js';

const registryOptions = { ttlMs: 60_000, cache: { max: 100, ttlMs: 10_000 }, logger: silent };

/** store: in config, defaults filled in as the config loader does. */
function redisConfig(url: string | undefined) {
  return {
    kind: 'redis' as const,
    ...(url ? { url } : {}),
    keyPrefix: uniquePrefix(),
    commandTimeoutMs: 500,
    sessionBuckets: 4096,
    cacheSize: 100,
    cacheTtlSeconds: 10,
    whenUnavailable: 'fail-closed' as const,
    notReadyWhenUnavailable: false,
  };
}

let redis: RedisProcess;
before(async () => {
  redis = await startRedis();
});
after(() => redis.stop());

it('memory: createStore answers pings and backs an in-process registry', async () => {
  const store = createStore({ kind: 'memory' }, { logger: silent });
  assert.equal(store.kind, 'memory');
  await store.ping();
  assert.ok(createSessionRegistry(store, registryOptions) instanceof MemorySessionRegistry);
  await store.close();
});

it('redis: createStore connects by itself, and the registry shares bindings through it', async () => {
  const store = createStore(redisConfig(redis.url), { logger: silent });
  try {
    assert.equal(store.kind, 'redis');
    await eventually(() => store.ping());
    const registry = createSessionRegistry(store, registryOptions);
    assert.ok(registry instanceof RedisSessionRegistry);
    const b = binding();
    await registry.put(b);
    assert.deepEqual(await registry.get(b.server, b.id), b);
  } finally {
    await store.close();
  }
});

it('redis: the URL comes from MCPGW_REDIS_URL when options have none, and one of them is required', async () => {
  const saved = process.env.MCPGW_REDIS_URL;
  try {
    delete process.env.MCPGW_REDIS_URL;
    assert.throws(() => new RedisStore({ logger: silent }), /MCPGW_REDIS_URL/);
    process.env.MCPGW_REDIS_URL = redis.url;
    const store = createStore(redisConfig(undefined), { logger: silent });
    await eventually(() => store.ping());
    await store.close();
  } finally {
    if (saved === undefined) delete process.env.MCPGW_REDIS_URL;
    else process.env.MCPGW_REDIS_URL = saved;
  }
});
