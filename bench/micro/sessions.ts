// Session rows: decision time for a follow-up request (and for an initialize) with n sessions in
// the registry, memory or Redis (in-process cache hit, or a Redis round trip). Sessions are written
// through the registry itself.
import { RedisStore } from '../../src/store/index.js';
import { MemorySessionRegistry, RedisSessionRegistry, type SessionRegistry } from '../../src/sessions/index.js';
import { timeEach, type LatencySummary } from '../histogram.js';
import { buildRig, fillRegistry, podHosts, sessionId, silentLogger } from './rig.js';

const TTL_MS = 86_400_000;
export const BENCH_PODS = 3;

export interface SessionsResult {
  sessions: number;
  fillMs: number;
  /** Follow-up tools/call with a known session id, random among the n. */
  followUp: LatencySummary;
  /** Initialize: pod choice (walks live counts). Memory only. */
  initialize?: LatencySummary;
}

function check(d: { kind: string }, what: string): void {
  if (d.kind !== 'allow') throw new Error(`${what}: expected allow, got ${JSON.stringify(d)}`);
}

async function measure(registry: SessionRegistry, n: number, samples: number, ids: (i: number) => string, initSamples: number): Promise<Omit<SessionsResult, 'sessions' | 'fillMs'>> {
  const rig = await buildRig(registry, BENCH_PODS);
  try {
    for (let i = 0; i < 200; i++) check(await rig.followUp(ids(i)), 'warm-up follow-up');
    const followUp = await timeEach(samples, async (i) => check(await rig.followUp(ids(i)), 'follow-up'));
    const initialize = initSamples > 0 ? await timeEach(initSamples, async () => check(await rig.initialize(), 'initialize')) : undefined;
    return { followUp, ...(initialize ? { initialize } : {}) };
  } finally {
    await rig.close();
  }
}

/** A random session among n for each sample (seeded, so runs compare). */
function randomIds(n: number): (i: number) => string {
  let x = 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return sessionId((x >>> 0) % n);
  };
}

export async function memorySessions(n: number, samples: number, initSamples: number): Promise<SessionsResult> {
  const registry = new MemorySessionRegistry({ ttlMs: TTL_MS, maxSessions: n + 1000 });
  const fill = await fillRegistry(registry, n, podHosts(BENCH_PODS));
  return { sessions: fill.written, fillMs: Math.round(fill.ms), ...(await measure(registry, n, samples, randomIds(n), initSamples)) };
}

export interface RedisSessionsResult {
  sessions: number;
  fillMs: number;
  cacheHit: LatencySummary;
  redisHit: LatencySummary;
}

export async function connectStore(store: RedisStore): Promise<void> {
  store.connect();
  for (let tries = 0; ; tries++) {
    try {
      return await store.ping();
    } catch (err) {
      if (tries > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Writes n bindings through a RedisSessionRegistry, then measures a cached and an uncached registry. */
export async function redisSessions(url: string, n: number, samples: number, keyPrefix: string, budgetMs = Infinity): Promise<RedisSessionsResult> {
  const store = new RedisStore({ url, keyPrefix, logger: silentLogger, commandTimeoutMs: 5000 });
  await connectStore(store);
  try {
    const writer = new RedisSessionRegistry(store, { ttlMs: TTL_MS, cache: { max: 0, ttlMs: 0 }, logger: silentLogger });
    const fill = await fillRegistry(writer, n, podHosts(BENCH_PODS), 256, budgetMs);
    n = fill.written;
    // Cache hit: a hot set of 1000 sessions, read once before measuring.
    const cached = new RedisSessionRegistry(store, { ttlMs: TTL_MS, cache: { max: 100_000, ttlMs: 60_000 }, logger: silentLogger });
    const hot = randomIds(n);
    const hotIds = Array.from({ length: Math.min(1000, n) }, () => hot(0));
    for (const id of hotIds) await cached.get('docs', id);
    const cacheHit = (await measure(cached, n, samples, (i) => hotIds[i % hotIds.length]!, 0)).followUp;
    // Redis hit: no cache, so every lookup is a GET + PTTL round trip.
    const uncached = new RedisSessionRegistry(store, { ttlMs: TTL_MS, cache: { max: 0, ttlMs: 0 }, logger: silentLogger });
    const redisHit = (await measure(uncached, n, samples, randomIds(n), 0)).followUp;
    return { sessions: n, fillMs: Math.round(fill.ms), cacheHit, redisHit };
  } finally {
    await store.close();
  }
}
