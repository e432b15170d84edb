// Routing rows: AffinityKeyTable precomputation per endpoint set, and the per-request key lookup.
import { AffinityKeyTable, loadXxh64, type HashLbPolicy } from '../../src/routing/index.js';
import { timeEach, type LatencySummary } from '../histogram.js';
import { podHosts } from './rig.js';

export interface AffinityResult {
  /** Table build (LB mirror + a key per pod), one sample per build. */
  build: LatencySummary;
  /** keyFor(host): what a request for a bound session costs. */
  lookup: LatencySummary;
  /** ns per keyFor over a tight loop (the histogram's floor is the clock read). */
  lookupNsPerOp: number;
}

export async function affinityBench(policy: HashLbPolicy, pods: number, builds: number, lookups: number): Promise<AffinityResult> {
  const xxh = await loadXxh64();
  const hosts = podHosts(pods);
  const config = { policy, minimumRingSize: 1024, tableSize: 65537 };
  AffinityKeyTable.build(hosts, config, xxh); // warm the JIT
  let table = AffinityKeyTable.build(hosts, config, xxh);
  const build = await timeEach(builds, () => (table = AffinityKeyTable.build(hosts, config, xxh)));
  let sink = 0;
  const lookup = await timeEach(lookups, (i) => (sink += table.keyFor(hosts[i % hosts.length]!)?.length ?? 0));
  const loops = 1_000_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < loops; i++) sink += table.keyFor(hosts[i % hosts.length]!)?.length ?? 0;
  const lookupNsPerOp = Math.round((Number(process.hrtime.bigint() - t0) / loops) * 10) / 10;
  if (sink < 0) console.log(sink);
  return { build, lookup, lookupNsPerOp };
}
