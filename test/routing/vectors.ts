// Loads Envoy's published hash / LB vectors (../shared/testdata/envoy-lb-vectors.json).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const VECTORS_PATH = fileURLToPath(new URL('../../../shared/testdata/envoy-lb-vectors.json', import.meta.url));

export interface RingEntry { hash: string; host: string }
export interface HashLookup { hash: string; host: string }
export interface KeyLookup { key: string; hash: string; host: string; ring_index?: number; table_index?: number }

export interface RingVector {
  name?: string;
  hosts: string[];
  weights?: number[];
  minimum_ring_size: number;
  maximum_ring_size: number;
  ring_size: number;
  entries_per_host: Record<string, number>;
  first_entries: RingEntry[];
  last_entry: RingEntry;
  lookups: KeyLookup[];
  edge_lookups?: Array<HashLookup & { note: string }>;
}

export interface MaglevVector {
  name: string;
  hosts: string[];
  weights?: number[];
  table_size: number;
  per_host: Array<{ host: string; offset: number; skip: number; entries: number }>;
  table_head: string[];
  lookups: KeyLookup[];
}

export interface LbVectors {
  xxh64: Array<{ input: string; utf8_length: number; seed0: string; seed0_hex: string; seed1: string; seed1_hex: string }>;
  header_hash: {
    cases: Array<{ values: string[]; hashed_bytes: string; hash: string }>;
    policy_combination: { first_hash: string; second_hash: string; combined: string };
  };
  ring_size_for_n_equal_hosts_at_min_1024: Record<string, number>;
  envoy_unit_test_expectations: {
    ring_hash_basic: { hosts: string[]; minimum_ring_size: number; ring_size: number; ring: RingEntry[]; lookups_by_hash: HashLookup[] };
    ring_hash_retry: { hosts: string[]; minimum_ring_size: number; picks: Array<HashLookup & { attempt: number }> };
    ring_hash_hostname_keys: { host_keys: string[]; minimum_ring_size: number; ring_size: number; ring: RingEntry[]; lookups_by_hash: HashLookup[] };
    ring_hash_uneven_hosts: { minimum_ring_size: number; cases: Array<{ hosts: string[]; ring_size: number; ring: RingEntry[]; lookups_by_hash: HashLookup[] }> };
    ring_hash_weighted_tiny: { hosts: string[]; weights: number[]; minimum_ring_size: number; maximum_ring_size: number; ring_size: number; entries_per_host: Record<string, number>; lookups_by_hash: HashLookup[] };
    maglev_basic: { hosts: string[]; table_size: number; table: string[] };
    maglev_hostname_keys: { host_keys: string[]; table_size: number; table: string[] };
    maglev_retry: { hosts: string[]; table_size: number; picks: Array<HashLookup & { attempt: number }> };
    maglev_weighted: { hosts: string[]; weights: number[]; table_size: number; table: string[]; entries_per_host: Record<string, number> };
    xxh64_reference: Array<{ input: string; seed0_hex: string }>;
  };
  ring_hash: RingVector[];
  ring_hash_weighted: RingVector;
  maglev: MaglevVector[];
  maglev_weighted: MaglevVector;
}

export const vectors: LbVectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as LbVectors;

/** hosts + optional weights → HashHost list. */
export function hostsOf(keys: string[], weights?: number[]): Array<{ key: string; weight?: number }> {
  return keys.map((key, i) => (weights ? { key, weight: weights[i]! } : { key }));
}
