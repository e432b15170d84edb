// Route hash_policy evaluation (source/common/http/hash_policy.cc; reference/envoy.md §4.1).
import type { Xxh64 } from './xxh64.js';

const MASK64 = (1n << 64n) - 1n;

/** Byte-wise (UTF-8) order, as Envoy's std::sort over absl::string_view; differs from JS string order for astral characters. */
export function compareBytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Hash of a header policy: all values sorted byte-wise, concatenated without separator, XXH64 seed 0.
 * `undefined` when the header is absent (no values): the load balancer then uses a random hash.
 * A present but empty header hashes the empty string.
 */
export function headerPolicyHash(values: readonly string[] | undefined, xxh: Xxh64): bigint | undefined {
  if (!values || values.length === 0) return undefined;
  const sorted = [...values].sort(compareBytewise);
  return xxh.hash(sorted.join(''), 0n);
}

/** Combines the hashes of several policies: hash = rotl64(hash, 1) XOR next, from 0; undefined entries yield nothing. */
export function combinePolicyHashes(hashes: ReadonlyArray<bigint | undefined>): bigint | undefined {
  let combined: bigint | undefined;
  for (const h of hashes) {
    if (h === undefined) continue;
    const prev = combined ?? 0n;
    const rotated = ((prev << 1n) | (prev >> 63n)) & MASK64;
    combined = rotated ^ h;
  }
  return combined;
}

/** What the thread-aware LB uses when no policy yields a hash: a uniformly random 64-bit value. */
export function randomHash(): bigint {
  const b = new BigUint64Array(1);
  crypto.getRandomValues(b);
  return b[0] ?? 0n;
}
