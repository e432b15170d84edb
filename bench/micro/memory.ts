// Memory rows: bytes per session binding held in this process (MemorySessionRegistry, and the LRU
// in front of Redis) and in Redis (INFO used_memory delta, and MEMORY USAGE of each key kind).
import { Redis } from 'ioredis';
import { MemorySessionRegistry, RedisSessionRegistry, type SessionRegistry } from '../../src/sessions/index.js';
import { RedisStore } from '../../src/store/index.js';
import { fillRegistry, podHosts, sessionId, silentLogger } from './rig.js';
import { connectStore } from './sessions.js';

/** Full collections until the heap settles (the micro child runs with --expose-gc). */
export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('memory rows need node --expose-gc');
  for (let i = 0; i < 4; i++) g();
}

async function heapPerSession(n: number, make: () => SessionRegistry, fill: (r: SessionRegistry) => Promise<unknown>): Promise<{ bytesPerSession: number; registry: SessionRegistry }> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const registry = make();
  await fill(registry);
  gc();
  const after = process.memoryUsage().heapUsed;
  return { bytesPerSession: Math.round((after - before) / n), registry };
}

export async function memoryRegistryBytes(n: number): Promise<number> {
  const { bytesPerSession, registry } = await heapPerSession(
    n,
    () => new MemorySessionRegistry({ ttlMs: 86_400_000, maxSessions: n + 1 }),
    (r) => fillRegistry(r, n, podHosts(3)),
  );
  if (!(await registry.get('docs', sessionId(0)))) throw new Error('binding missing');
  return bytesPerSession;
}

export interface RedisMemoryResult {
  /** Heap of the registry's in-process LRU per cached binding. */
  lruBytesPerSession: number;
  /** used_memory growth per binding (the binding key plus its share of the indexes). */
  redisBytesPerSession: number;
  /** MEMORY USAGE of one binding key. */
  bindingKeyBytes: number;
}

export async function redisBytes(url: string, n: number, keyPrefix: string): Promise<RedisMemoryResult> {
  const raw = new Redis(url);
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
  const store = new RedisStore({ url, keyPrefix, logger: silentLogger, commandTimeoutMs: 5000 });
  await connectStore(store);
  try {
    const redisBefore = await usedMemory();
    const { bytesPerSession, registry } = await heapPerSession(
      n,
      () => new RedisSessionRegistry(store, { ttlMs: 86_400_000, cache: { max: n + 1, ttlMs: 3_600_000 }, buckets: Math.max(1, Math.round(n / 64)), logger: silentLogger }),
      (r) => fillRegistry(r, n, podHosts(3), 128),
    );
    const redisAfter = await usedMemory();
    const bindingKeyBytes = Number(await raw.memory('USAGE', `${keyPrefix}s:docs:${sessionId(0)}`));
    if (!(await registry.get('docs', sessionId(0)))) throw new Error('binding missing');
    return { lruBytesPerSession: bytesPerSession, redisBytesPerSession: Math.round((redisAfter - redisBefore) / n), bindingKeyBytes };
  } finally {
    await store.close();
    raw.disconnect();
  }
}
