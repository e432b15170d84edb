// One face over both hash load balancers, so callers (session routing, envoy-sim) pick by policy name.
import { buildMaglev, type MaglevOptions } from './maglev.js';
import { buildRing, type RingHashOptions } from './ringHash.js';
import type { HashHost } from './weights.js';
import type { Xxh64 } from './xxh64.js';

export type HashLbPolicy = 'ring_hash' | 'maglev';

export interface HashLoadBalancer {
  readonly policy: HashLbPolicy;
  /** Host key Envoy would choose for request hash h; undefined when there are no hosts. */
  pick(h: bigint, attempt?: number): string | undefined;
}

export interface HashLbOptions extends RingHashOptions, MaglevOptions {}

export function buildHashLb(policy: HashLbPolicy, hosts: readonly HashHost[], opts: HashLbOptions, xxh: Xxh64): HashLoadBalancer {
  const lb = policy === 'ring_hash' ? buildRing(hosts, opts, xxh) : buildMaglev(hosts, opts, xxh);
  return { policy, pick: (h, attempt) => lb.pick(h, attempt) };
}
