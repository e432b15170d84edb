import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { buildRing, loadXxh64, type Ring, type Xxh64 } from '../../src/routing/index.js';
import { hostsOf, vectors, type RingEntry } from './vectors.js';

function assertRing(ring: Ring, expected: RingEntry[]): void {
  assert.equal(ring.size, expected.length);
  expected.forEach((e, i) => {
    assert.equal(ring.hashes[i], BigInt(e.hash), `entry ${i} hash`);
    assert.equal(ring.hostAt(i), e.host, `entry ${i} host`);
  });
}

function countPerHost(ring: Ring): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < ring.size; i++) counts[ring.hostAt(i)] = (counts[ring.hostAt(i)] ?? 0) + 1;
  return counts;
}

describe('ring hash (Envoy unit-test expectations)', () => {
  let xxh: Xxh64;
  const e = vectors.envoy_unit_test_expectations;
  before(async () => {
    xxh = await loadXxh64();
  });

  it('RingHashLoadBalancerTest.Basic: ring and lookups', () => {
    const ring = buildRing(hostsOf(e.ring_hash_basic.hosts), { minimumRingSize: e.ring_hash_basic.minimum_ring_size }, xxh);
    assert.equal(ring.size, e.ring_hash_basic.ring_size);
    assertRing(ring, e.ring_hash_basic.ring);
    for (const l of e.ring_hash_basic.lookups_by_hash) assert.equal(ring.pick(BigInt(l.hash)), l.host, `hash ${l.hash}`);
  });

  it('BasicWithRetryHostPredicate: attempt walks the ring', () => {
    const ring = buildRing(hostsOf(e.ring_hash_retry.hosts), { minimumRingSize: e.ring_hash_retry.minimum_ring_size }, xxh);
    for (const p of e.ring_hash_retry.picks) assert.equal(ring.pick(BigInt(p.hash), p.attempt), p.host, `attempt ${p.attempt}`);
  });

  it('BasicWithHostname: hostname keys', () => {
    const v = e.ring_hash_hostname_keys;
    const ring = buildRing(hostsOf(v.host_keys), { minimumRingSize: v.minimum_ring_size }, xxh);
    assert.equal(ring.size, v.ring_size);
    assertRing(ring, v.ring);
    for (const l of v.lookups_by_hash) assert.equal(ring.pick(BigInt(l.hash)), l.host);
  });

  it('UnevenHosts: ring rebuilt for a changed host set', () => {
    for (const c of e.ring_hash_uneven_hosts.cases) {
      const ring = buildRing(hostsOf(c.hosts), { minimumRingSize: e.ring_hash_uneven_hosts.minimum_ring_size }, xxh);
      assert.equal(ring.size, c.ring_size);
      assertRing(ring, c.ring);
      for (const l of c.lookups_by_hash) assert.equal(ring.pick(BigInt(l.hash)), l.host);
    }
  });

  it('HostWeightedTinyRing: weights set entries per host', () => {
    const v = e.ring_hash_weighted_tiny;
    const ring = buildRing(hostsOf(v.hosts, v.weights), { minimumRingSize: v.minimum_ring_size, maximumRingSize: v.maximum_ring_size }, xxh);
    assert.equal(ring.size, v.ring_size);
    assert.deepEqual(countPerHost(ring), v.entries_per_host);
    for (const l of v.lookups_by_hash) assert.equal(ring.pick(BigInt(l.hash)), l.host, `hash ${l.hash}`);
  });
});

describe('ring hash (generated Istio-default vectors)', () => {
  let xxh: Xxh64;
  before(async () => {
    xxh = await loadXxh64();
  });

  for (const v of [...vectors.ring_hash, vectors.ring_hash_weighted]) {
    it(`${v.name}: size, entries, first/last entries and key lookups`, () => {
      const ring = buildRing(hostsOf(v.hosts, v.weights), { minimumRingSize: v.minimum_ring_size, maximumRingSize: v.maximum_ring_size }, xxh);
      assert.equal(ring.size, v.ring_size);
      assert.deepEqual(countPerHost(ring), v.entries_per_host);
      assertRing({ ...ring, size: v.first_entries.length }, v.first_entries);
      assert.equal(ring.hashes[ring.size - 1], BigInt(v.last_entry.hash));
      assert.equal(ring.hostAt(ring.size - 1), v.last_entry.host);
      for (const l of v.lookups) {
        const h = xxh.hash(l.key);
        assert.equal(h, BigInt(l.hash), `hash of ${l.key}`);
        assert.equal(ring.indexOf(h), l.ring_index, `ring index of ${l.key}`);
        assert.equal(ring.pick(h), l.host, `host of ${l.key}`);
      }
      for (const l of v.edge_lookups ?? []) assert.equal(ring.pick(BigInt(l.hash)), l.host, l.note);
    });
  }

  for (const [n, size] of Object.entries(vectors.ring_size_for_n_equal_hosts_at_min_1024)) {
    it(`${n} equal hosts at minimum 1024 → ${size} entries`, () => {
      const hosts = Array.from({ length: Number(n) }, (_, i) => ({ key: `10.9.0.${i + 1}:8080` }));
      assert.equal(buildRing(hosts, {}, xxh).size, size);
    });
  }

  it('an empty host set picks nothing', () => {
    assert.equal(buildRing([], {}, xxh).pick(123n), undefined);
  });

  it('property: pick always returns one of the hosts, and the first entry >= h', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 1, max: 65535 })), { minLength: 1, maxLength: 8, selector: (t) => t.join(':') }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (addrs, h) => {
          const keys = addrs.map(([ip, port]) => `10.0.0.${ip}:${port}`);
          const ring = buildRing(hostsOf(keys), { minimumRingSize: 64 }, xxh);
          const host = ring.pick(h);
          assert.ok(host !== undefined && keys.includes(host));
          const i = ring.indexOf(h);
          if (h > ring.hashes[ring.size - 1]!) assert.equal(i, 0);
          else {
            assert.ok(ring.hashes[i]! >= h);
            if (i > 0) assert.ok(ring.hashes[i - 1]! < h);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: with the same entries per host, removing a host only moves keys that were on it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 0, max: 5 }), fc.array(fc.string(), { minLength: 1, maxLength: 30 }), (n, dropAt, keys) => {
        const hosts = Array.from({ length: n }, (_, i) => `10.2.0.${i + 1}:8080`);
        const drop = hosts[dropAt % n]!;
        const kept = hosts.filter((h) => h !== drop);
        // minimum = 100 × hosts keeps exactly 100 entries per host in both rings; with the default 1024
        // the per-host count changes with N and keys of surviving hosts can move too.
        const before = buildRing(hostsOf(hosts), { minimumRingSize: 100 * hosts.length }, xxh);
        const after = buildRing(hostsOf(kept), { minimumRingSize: 100 * kept.length }, xxh);
        for (const k of keys) {
          const h = xxh.hash(k);
          const was = before.pick(h);
          if (was !== drop) assert.equal(after.pick(h), was);
        }
      }),
      { numRuns: 100 },
    );
  });
});
