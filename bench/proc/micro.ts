// Child entry for in-process rows (run with --expose-gc, one job per process so heaps start clean).
import { adapterBench } from '../micro/adapter.js';
import { bridgeBench } from '../micro/bridge.js';
import { affinityBench, affinityWindowBench } from '../micro/affinity.js';
import { identityBench, limitsBench, policyBench } from '../micro/decisions.js';
import { hostileGlobBench, nameFloodBench } from '../micro/hostile.js';
import { memoryRegistryBytes, redisBytes } from '../micro/memory.js';
import { memorySessions, redisSessions } from '../micro/sessions.js';
import { topologyBench, type TopologyJob } from '../micro/topologies.js';
import type { HashLbPolicy } from '../../src/routing/index.js';

export type MicroJob =
  | { micro: 'affinity'; policy: HashLbPolicy; pods: number; builds: number; lookups: number }
  | { micro: 'affinity-window'; policy: HashLbPolicy; pods: number; sets: number; builds: number }
  | { micro: 'sessions-memory'; n: number; samples: number; initSamples: number }
  | { micro: 'sessions-redis'; url: string; n: number; samples: number; keyPrefix: string; budgetMs?: number }
  | { micro: 'memory-registry'; n: number }
  | { micro: 'memory-redis'; url: string; n: number; keyPrefix: string }
  | { micro: 'policy'; rules: number; samples: number }
  | { micro: 'identity'; samples: number }
  | { micro: 'adapter'; samples: number }
  | { micro: 'limits'; store: 'memory' | 'redis'; url?: string; counts: number[]; samples: number; keyPrefix?: string }
  | { micro: 'hostile-glob'; samples: number }
  | { micro: 'name-flood'; seconds: number; perSecond: number; memoryCounters: number }
  | { micro: 'bridge'; calls: number; sessions: number }
  | ({ micro: 'redis-topology' } & TopologyJob);

async function run(job: MicroJob): Promise<unknown> {
  switch (job.micro) {
    case 'affinity':
      return affinityBench(job.policy, job.pods, job.builds, job.lookups);
    case 'affinity-window':
      return affinityWindowBench(job.policy, job.pods, job.sets, job.builds);
    case 'sessions-memory':
      return memorySessions(job.n, job.samples, job.initSamples);
    case 'sessions-redis':
      return redisSessions(job.url, job.n, job.samples, job.keyPrefix, job.budgetMs);
    case 'memory-registry':
      return memoryRegistryBytes(job.n);
    case 'memory-redis':
      return redisBytes(job.url, job.n, job.keyPrefix);
    case 'policy':
      return policyBench(job.rules, job.samples);
    case 'limits':
      return limitsBench(job);
    case 'identity':
      return identityBench(job.samples);
    case 'adapter':
      return adapterBench(job.samples);
    case 'hostile-glob':
      return hostileGlobBench(job.samples);
    case 'name-flood':
      return nameFloodBench(job);
    case 'bridge':
      return bridgeBench(job.calls, job.sessions);
    case 'redis-topology':
      return topologyBench(job);
  }
}

process.on('message', (m: { id: number; job?: MicroJob; stop?: boolean }) => {
  if (m.stop) return process.exit(0);
  if (!m.job) return;
  run(m.job).then(
    (result) => process.send?.({ id: m.id, result }),
    (err: Error) => process.send?.({ id: m.id, error: err.stack ?? err.message }),
  );
});
process.send?.({ ready: true });
