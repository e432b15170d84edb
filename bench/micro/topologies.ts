// Redis topologies side by side (issue 18): the same session and limit operations through a
// RedisStore on a standalone Redis, on Redis behind Sentinel and on a Redis Cluster, and what one
// session and one limit counter cost in memory (INFO used_memory summed over the masters).
import { Redis } from 'ioredis';
import type { LatencySummary } from '../histogram.js';
import { timeEach } from '../histogram.js';
import { Limiter } from '../../src/limits/index.js';
import { RedisSessionRegistry } from '../../src/sessions/index.js';
import { RedisStore, type RedisStoreOptions } from '../../src/store/index.js';
import { binding, podHosts, silentLogger } from './rig.js';
import { connectStore } from './sessions.js';

export interface TopologyJob {
  topology: 'standalone' | 'sentinel' | 'cluster';
  /** Where to connect: a URL, Sentinels + master name, or cluster seeds. */
  connect: Pick<RedisStoreOptions, 'url' | 'sentinel' | 'cluster'>;
  /** "host:port" of every master, whose used_memory is summed. */
  masters: string[];
  samples: number;
  /** Sessions and counters written for the memory figures. */
  n: number;
}

export interface TopologyResult {
  sessionPut: LatencySummary;
  /** A follow-up whose binding is not cached: GET + PTTL. */
  sessionGet: LatencySummary;
  /** limiter.check with one quota. */
  limits1: LatencySummary;
  /** limiter.check with two quotas (on Cluster: two slots, so two scripts sent together). */
  limits2: LatencySummary;
  bytesPerSession: number;
  bytesPerCounter: number;
}

const DECADE = { seconds: 365 * 86_400 };

export async function topologyBench(job: TopologyJob): Promise<TopologyResult> {
  const store = new RedisStore({ ...job.connect, keyPrefix: `bench-topo-${job.topology}:`, logger: silentLogger, commandTimeoutMs: 5000 });
  await connectStore(store);
  // List buckets sized as docs/operations.md advises: live sessions ÷ 64.
  const buckets = Math.max(1, Math.round((job.samples + job.n) / 64));
  const registry = new RedisSessionRegistry(store, { ttlMs: 3_600_000, cache: { max: 0, ttlMs: 0 }, buckets, logger: silentLogger });
  const limits = (names: string[]) =>
    new Limiter({ replicas: 1, limits: names.map((name) => ({ name, per: ['principal' as const], quota: { requests: 1_000_000_000, window: DECADE } })) }, { store, logger: silentLogger });
  const one = limits(['q1']);
  const two = limits(['q1', 'q2']);
  const call = (principal: string) => ({ server: 'docs', method: 'tools/call', tool: 't', principal, isNewSession: false });
  const pods = podHosts(3);
  try {
    const now = Date.now();
    const sessionPut = await timeEach(job.samples, (i) => registry.put(binding(i, pods, now)));
    const sessionGet = await timeEach(job.samples, async (i) => {
      if (!(await registry.get('docs', binding(i, pods, now).id))) throw new Error('binding missing');
    });
    const limits1 = await timeEach(job.samples, (i) => one.check(call(`p${i % 100}`)));
    const limits2 = await timeEach(job.samples, (i) => two.check(call(`p${i % 100}`)));
    const memory = usedMemory(job.masters);
    let before = await memory.read();
    for (let i = 0; i < job.n; i += 200) await Promise.all(Array.from({ length: Math.min(200, job.n - i) }, (_, j) => registry.put(binding(job.samples + i + j, pods, now))));
    const bytesPerSession = Math.round(((await memory.read()) - before) / job.n);
    before = await memory.read();
    for (let i = 0; i < job.n; i += 200) await Promise.all(Array.from({ length: Math.min(200, job.n - i) }, (_, j) => one.check(call(`counter-${i + j}`))));
    const bytesPerCounter = Math.round(((await memory.read()) - before) / job.n);
    memory.close();
    return { sessionPut, sessionGet, limits1, limits2, bytesPerSession, bytesPerCounter };
  } finally {
    registry.stop();
    one.stop();
    two.stop();
    await store.close();
  }
}

function usedMemory(masters: string[]): { read(): Promise<number>; close(): void } {
  const clients = masters.map((m) => new Redis(Number(m.split(':')[1]), m.split(':')[0]!));
  return {
    read: async () => {
      let total = 0;
      for (const c of clients) total += Number(/used_memory:(\d+)/.exec(await c.info('memory'))?.[1]);
      return total;
    },
    close: () => clients.forEach((c) => c.disconnect()),
  };
}
