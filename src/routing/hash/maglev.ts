// Envoy MAGLEV (maglev_lb.cc; reference/envoy.md §4.4): hosts sorted by key, permutation (offset, skip)
// from XXH64 seeds 0 and 1, weighted round-robin fill, lookup table[h mod M].
import { compareBytewise } from './requestHash.js';
import { normalizeWeights, type HashHost } from './weights.js';
import type { Xxh64 } from './xxh64.js';

export const MAGLEV_DEFAULT_TABLE_SIZE = 65537;
export const MAGLEV_MAX_TABLE_SIZE = 5_000_011;

export interface MaglevOptions {
  tableSize?: number;
}

export interface MaglevTable {
  readonly size: number;
  /** Host keys in the sorted build order; slot values index into this. */
  readonly hostKeys: readonly string[];
  /** Host index per slot. */
  readonly slots: Uint32Array;
  /** Host key for hash h; `attempt` models a retry host predicate (h XOR 2^64 - attempt). */
  pick(h: bigint, attempt?: number): string | undefined;
  slotOf(h: bigint): number;
}

export interface MaglevBuildEntry {
  key: string;
  offset: number;
  skip: number;
  w: number;
  targetWeight: number;
  next: number;
  count: number;
}

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

export function validateTableSize(m: number): void {
  // The proto's validate rule (lte 5000011) fires before the constructor's primality check.
  if (m > MAGLEV_MAX_TABLE_SIZE) throw new Error(`table_size: value must be less than or equal to ${MAGLEV_MAX_TABLE_SIZE}`);
  if (!isPrime(m)) throw new Error('The table size of maglev must be prime number');
}

/** Per-host permutation parameters, in build order (exported for tests and diagnostics). */
export function maglevEntries(hosts: readonly HashHost[], m: number, xxh: Xxh64): MaglevBuildEntry[] {
  const sorted = [...hosts].sort((a, b) => compareBytewise(a.key, b.key));
  const { entries } = normalizeWeights(sorted);
  const M = BigInt(m);
  return entries.map((e) => ({
    key: e.key,
    offset: Number(xxh.hash(e.key, 0n) % M),
    skip: Number(xxh.hash(e.key, 1n) % (M - 1n)) + 1,
    w: e.w,
    targetWeight: 0,
    next: 0,
    count: 0,
  }));
}

export function buildMaglev(hosts: readonly HashHost[], opts: MaglevOptions, xxh: Xxh64): MaglevTable {
  const m = opts.tableSize ?? MAGLEV_DEFAULT_TABLE_SIZE;
  validateTableSize(m);
  const entries = maglevEntries(hosts, m, xxh);
  const EMPTY = 0xffffffff;
  const slots = new Uint32Array(m).fill(EMPTY);
  if (entries.length > 0) {
    const maxW = Math.max(...entries.map((e) => e.w));
    let filled = 0;
    // skip * next stays below 2^53 for every legal M, so Numbers are exact here.
    const permutation = (e: MaglevBuildEntry) => (e.offset + e.skip * e.next) % m;
    for (let iteration = 1; filled < m; iteration++) {
      for (let i = 0; i < entries.length && filled < m; i++) {
        const e = entries[i]!;
        if (iteration * e.w < e.targetWeight) continue;
        e.targetWeight += maxW;
        let c = permutation(e);
        while (slots[c] !== EMPTY) {
          e.next++;
          c = permutation(e);
        }
        slots[c] = i;
        e.next++;
        e.count++;
        filled++;
      }
    }
  }
  const hostKeys = entries.map((e) => e.key);
  const M = BigInt(m);
  const slotOf = (h: bigint) => Number(BigInt.asUintN(64, h) % M);
  return {
    size: m,
    hostKeys,
    slots,
    slotOf,
    pick(h, attempt = 0) {
      if (hostKeys.length === 0) return undefined;
      // Envoy: h ^= ~0ULL - attempt + 1 (i.e. 2^64 - attempt, which is 0 for attempt 0).
      const x = attempt === 0 ? h : BigInt.asUintN(64, h) ^ BigInt.asUintN(64, -BigInt(attempt));
      return hostKeys[slots[slotOf(x)]!];
    },
  };
}
