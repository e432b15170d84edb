// Envoy's hash-based load balancing, mirrored exactly (reference/envoy.md §4).
export { loadXxh64, type Xxh64 } from './xxh64.js';
export { headerPolicyHash, combinePolicyHashes, randomHash, compareBytewise } from './requestHash.js';
export { type HashHost } from './weights.js';
export { buildRing, RING_HASH_DEFAULT_MIN_SIZE, RING_HASH_MAX_SIZE, type Ring, type RingHashOptions } from './ringHash.js';
export {
  buildMaglev,
  maglevEntries,
  isPrime,
  validateTableSize,
  MAGLEV_DEFAULT_TABLE_SIZE,
  MAGLEV_MAX_TABLE_SIZE,
  type MaglevTable,
  type MaglevOptions,
  type MaglevBuildEntry,
} from './maglev.js';
export { buildHashLb, type HashLbPolicy, type HashLoadBalancer, type HashLbOptions } from './hashLb.js';
