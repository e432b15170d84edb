// Rows comparing Redis topologies (issue 18): standalone (the bench's redis-server), Sentinel
// (master + replica + one Sentinel) and a 3-master / 3-replica Cluster, all started here on loopback.
// Per-request cost of session writes and uncached reads and of limit checks, and bytes per session
// and per limit counter, side by side.
import { Redis } from 'ioredis';
import type { BenchContext } from './context.js';
import type { TopologyJob, TopologyResult } from './micro/topologies.js';
import type { Row } from './report.js';
import { latencyRow, type Scenario } from './scenarios.js';
import { startRedisCluster, startRedisSentinel } from '../test/support/redis.js';

const SECTION = 'Redis topologies: standalone vs Sentinel vs Cluster (per request, and bytes per session / counter)';

export function redisTopologiesScenario(): Scenario {
  return {
    id: 'redis.topologies',
    section: SECTION,
    title: 'Sessions and limits on standalone Redis, Sentinel and Cluster',
    needsRedis: true,
    async run(ctx: BenchContext) {
      const sentinel = await startRedisSentinel();
      const cluster = await startRedisCluster();
      try {
        const samples = Math.min(2000, ctx.opts.sizes.decisionSamples);
        const n = ctx.opts.sizes.redisMemorySessions;
        const sentinelMaster = await sentinel.master();
        const clusterMasters: string[] = [];
        for (const node of cluster.nodes) if (await isMaster(node.port)) clusterMasters.push(`127.0.0.1:${node.port}`);
        const jobs: TopologyJob[] = [
          { topology: 'standalone', connect: { url: ctx.redisUrl! }, masters: [ctx.redisUrl!.replace('redis://', '')], samples, n },
          { topology: 'sentinel', connect: { sentinel: { addresses: sentinel.sentinels, masterName: sentinel.masterName } }, masters: [`127.0.0.1:${sentinelMaster.port}`], samples, n },
          { topology: 'cluster', connect: { cluster: { nodes: cluster.seeds } }, masters: clusterMasters, samples, n },
        ];
        const rows: Row[] = [];
        for (const job of jobs) {
          const r = await ctx.micro<TopologyResult>({ micro: 'redis-topology', ...job });
          const t = job.topology;
          const id = `redis.topologies.${t}`;
          rows.push(
            latencyRow(`${id}.session-put`, SECTION, `${t}: new session binding (one script)`, r.sessionPut),
            latencyRow(`${id}.session-get`, SECTION, `${t}: follow-up, binding not cached (GET + PTTL)`, r.sessionGet),
            latencyRow(`${id}.limits-1`, SECTION, `${t}: limit check, 1 quota`, r.limits1),
            latencyRow(`${id}.limits-2`, SECTION, `${t}: limit check, 2 quotas${t === 'cluster' ? ' (2 slots: 2 scripts sent together)' : ' (one script)'}`, r.limits2),
            { id: `${id}.bytes-per-session`, section: SECTION, title: `${t}: used_memory per session binding (masters), ${n} sessions`, status: 'ok', value: r.bytesPerSession, unit: 'B/session' },
            { id: `${id}.bytes-per-counter`, section: SECTION, title: `${t}: used_memory per limit counter (masters), ${n} counters`, status: 'ok', value: r.bytesPerCounter, unit: 'B/counter' },
          );
        }
        return rows;
      } finally {
        await Promise.all([sentinel.stop(), cluster.stop()]);
      }
    },
  };
}

async function isMaster(port: number): Promise<boolean> {
  const r = new Redis(port, '127.0.0.1');
  try {
    return /role:master/.test(await r.info('replication'));
  } finally {
    r.disconnect();
  }
}
