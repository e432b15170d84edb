// Envoy RING_HASH (ring_hash_lb.cc; reference/envoy.md §4.3): entries XXH64("<key>_<i>"), sorted ascending,
// lookup = first entry with hash >= h, wrapping to entry 0.
import { normalizeWeights, type HashHost } from './weights.js';
import type { Xxh64 } from './xxh64.js';

export const RING_HASH_DEFAULT_MIN_SIZE = 1024;
export const RING_HASH_MAX_SIZE = 8_388_608;

export interface RingHashOptions {
  minimumRingSize?: number;
  maximumRingSize?: number;
}

export interface Ring {
  readonly size: number;
  /** Sorted entry hashes. */
  readonly hashes: BigUint64Array;
  /** Host key of entry i (after sorting). */
  hostAt(index: number): string;
  /** Index of the entry a hash selects (first hash >= h, else 0); -1 for an empty ring. */
  indexOf(h: bigint): number;
  /** Host key for hash h; `attempt` models a retry host predicate ((index + attempt) mod size). */
  pick(h: bigint, attempt?: number): string | undefined;
}

export function buildRing(hosts: readonly HashHost[], opts: RingHashOptions, xxh: Xxh64): Ring {
  // Both bounds are capped at 8M, as Envoy does.
  const minSize = Math.min(opts.minimumRingSize ?? RING_HASH_DEFAULT_MIN_SIZE, RING_HASH_MAX_SIZE);
  const maxSize = Math.min(opts.maximumRingSize ?? RING_HASH_MAX_SIZE, RING_HASH_MAX_SIZE);
  if (minSize > maxSize) throw new Error(`ring hash: minimum_ring_size (${minSize}) > maximum_ring_size (${maxSize})`);
  const keys: string[] = [];
  if (hosts.length === 0) return makeRing(new BigUint64Array(0), new Uint32Array(0), keys);

  const { entries, min } = normalizeWeights(hosts);
  // IEEE doubles, exactly Envoy's arithmetic.
  const scale = Math.min(Math.ceil(min * minSize) / min, maxSize);
  const ringSize = Math.ceil(scale);
  const raw = new BigUint64Array(ringSize + entries.length);
  const owner = new Uint32Array(raw.length);
  let n = 0;
  let current = 0;
  let target = 0;
  entries.forEach((e, hostIndex) => {
    keys.push(e.key);
    target += scale * e.w;
    for (let i = 0; current < target; i++, current++) {
      raw[n] = xxh.hash(`${e.key}_${i}`, 0n);
      owner[n] = hostIndex;
      n++;
    }
  });
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const x = raw[a]!;
    const y = raw[b]!;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const hashes = new BigUint64Array(n);
  const hostIdx = new Uint32Array(n);
  order.forEach((src, dst) => {
    hashes[dst] = raw[src]!;
    hostIdx[dst] = owner[src]!;
  });
  return makeRing(hashes, hostIdx, keys);
}

function makeRing(hashes: BigUint64Array, hostIdx: Uint32Array, keys: string[]): Ring {
  const size = hashes.length;
  const indexOf = (h: bigint): number => {
    if (size === 0) return -1;
    const x = BigInt.asUintN(64, h);
    let lo = 0;
    let hi = size; // lower_bound
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo === size ? 0 : lo;
  };
  return {
    size,
    hashes,
    hostAt: (i) => keys[hostIdx[i]!]!,
    indexOf,
    pick(h, attempt = 0) {
      const i = indexOf(h);
      if (i < 0) return undefined;
      return keys[hostIdx[(i + attempt) % size]!]!;
    },
  };
}
