// Routing rows: AffinityKeyTable precomputation per endpoint set (alone, and over a convergence
// window of earlier sets), and the per-request key lookup.
import { AffinityKeyTable, EndpointSet, loadXxh64, type HashLbPolicy } from '../../src/routing/index.js';
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

export interface WindowResult {
  /** One endpoint change: the new set's LB plus keys right under it and every earlier set. */
  build: LatencySummary;
  /** Pods the bounded search could not satisfy (expected 0). */
  unconverged: number;
}

/**
 * A rolling update seen as `sets` endpoint sets of `pods` pods each, every one replacing one pod of
 * the previous: the earlier sets' LBs exist already (built at their own change), as in ServerPods.
 */
export async function affinityWindowBench(policy: HashLbPolicy, pods: number, sets: number, builds: number): Promise<WindowResult> {
  const xxh = await loadXxh64();
  const pool = podHosts(pods + sets);
  const config = { policy, minimumRingSize: 1024, tableSize: 65537 };
  const history = Array.from({ length: sets }, (_, k) => pool.slice(k, k + pods));
  const earlier = history.slice(0, -1).map((hosts) => EndpointSet.build(hosts, config, xxh));
  const current = history.at(-1)!;
  let unconverged = 0;
  const once = () => (unconverged = AffinityKeyTable.forWindow(EndpointSet.build(current, config, xxh), earlier, xxh).unconverged.length);
  once(); // warm the JIT
  const build = await timeEach(builds, once);
  return { build, unconverged };
}
