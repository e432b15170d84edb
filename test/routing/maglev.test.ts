import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { buildMaglev, loadXxh64, maglevEntries, type MaglevTable, type Xxh64 } from '../../src/routing/index.js';
import { hostsOf, vectors } from './vectors.js';

function tableOf(t: MaglevTable): string[] {
  return Array.from(t.slots, (i) => t.hostKeys[i]!);
}

function countPerHost(t: MaglevTable): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const k of tableOf(t)) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
}

describe('maglev (Envoy unit-test expectations)', () => {
  let xxh: Xxh64;
  const e = vectors.envoy_unit_test_expectations;
  before(async () => {
    xxh = await loadXxh64();
  });

  it('MaglevLoadBalancerTest.Basic: table of size 7', () => {
    const t = buildMaglev(hostsOf(e.maglev_basic.hosts), { tableSize: e.maglev_basic.table_size }, xxh);
    assert.deepEqual(tableOf(t), e.maglev_basic.table);
    e.maglev_basic.table.forEach((host, i) => {
      assert.equal(t.pick(BigInt(i)), host);
      assert.equal(t.pick(BigInt(i + 7 * 1000)), host);
    });
  });

  it('BasicWithHostName: hostname keys', () => {
    const v = e.maglev_hostname_keys;
    assert.deepEqual(tableOf(buildMaglev(hostsOf(v.host_keys), { tableSize: v.table_size }, xxh)), v.table);
  });

  it('BasicWithRetryHostPredicate: hash XOR (2^64 - attempt)', () => {
    const v = e.maglev_retry;
    const t = buildMaglev(hostsOf(v.hosts), { tableSize: v.table_size }, xxh);
    for (const p of v.picks) assert.equal(t.pick(BigInt(p.hash), p.attempt), p.host, `attempt ${p.attempt}`);
  });

  it('Weighted: slots per host follow weights', () => {
    const v = e.maglev_weighted;
    const t = buildMaglev(hostsOf(v.hosts, v.weights), { tableSize: v.table_size }, xxh);
    assert.deepEqual(tableOf(t), v.table);
    assert.deepEqual(countPerHost(t), v.entries_per_host);
  });

  it('rejects a non-prime table size with Envoy\'s message, and sizes above 5000011', () => {
    assert.throws(() => buildMaglev(hostsOf(['a']), { tableSize: 65536 }, xxh), { message: 'The table size of maglev must be prime number' });
    assert.throws(() => buildMaglev(hostsOf(['a']), { tableSize: 5000111 }, xxh), /less than or equal to 5000011/);
    assert.doesNotThrow(() => buildMaglev(hostsOf(['a']), { tableSize: 5000011 }, xxh));
  });
});

describe('maglev (generated Istio-default vectors)', () => {
  let xxh: Xxh64;
  before(async () => {
    xxh = await loadXxh64();
  });

  for (const v of [...vectors.maglev, vectors.maglev_weighted]) {
    it(`${v.name}: permutations, slot counts, table head and key lookups`, () => {
      const hosts = hostsOf(v.hosts, v.weights);
      const entries = maglevEntries(hosts, v.table_size, xxh);
      for (const p of v.per_host) {
        const entry = entries.find((x) => x.key === p.host);
        assert.ok(entry);
        assert.equal(entry.offset, p.offset, `${p.host} offset`);
        assert.equal(entry.skip, p.skip, `${p.host} skip`);
      }
      const t = buildMaglev(hosts, { tableSize: v.table_size }, xxh);
      assert.equal(t.size, v.table_size);
      const counts = countPerHost(t);
      for (const p of v.per_host) assert.equal(counts[p.host], p.entries, `${p.host} entries`);
      assert.deepEqual(tableOf(t).slice(0, v.table_head.length), v.table_head);
      for (const l of v.lookups) {
        const h = xxh.hash(l.key);
        assert.equal(h, BigInt(l.hash));
        assert.equal(t.slotOf(h), l.table_index, `slot of ${l.key}`);
        assert.equal(t.pick(h), l.host, `host of ${l.key}`);
      }
    });
  }

  it('3 pods 10.0.0.{1,2,3}:8080 at defaults: 21846/21846/21845 slots, offset 1495 and skip 46121', () => {
    const t = buildMaglev(hostsOf(['10.0.0.3:8080', '10.0.0.1:8080', '10.0.0.2:8080']), {}, xxh);
    assert.deepEqual(Object.values(countPerHost(t)).sort(), [21845, 21846, 21846]);
    const e = maglevEntries(hostsOf(['10.0.0.1:8080']), 65537, xxh)[0]!;
    assert.equal(e.offset, 1495);
    assert.equal(e.skip, 46121);
  });

  it('host order of the input does not matter (hosts are sorted by key)', () => {
    const keys = ['10.1.0.13:8080', '10.1.0.11:8080', '10.1.0.12:8080'];
    assert.deepEqual(tableOf(buildMaglev(hostsOf(keys), { tableSize: 251 }, xxh)), tableOf(buildMaglev(hostsOf([...keys].sort()), { tableSize: 251 }, xxh)));
  });

  it('property: every slot is filled with a host of the set, and pick returns a host of the set', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 254 }), { minLength: 1, maxLength: 7 }),
        fc.constantFrom(7, 17, 251, 1009),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (ips, m, h) => {
          const keys = ips.map((ip) => `10.3.0.${ip}:8080`);
          const t = buildMaglev(hostsOf(keys), { tableSize: m }, xxh);
          for (const k of tableOf(t)) assert.ok(keys.includes(k));
          assert.ok(keys.includes(t.pick(h)!));
          assert.equal(t.pick(h), tableOf(t)[Number(h % BigInt(m))]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('property: equal weights give each host floor(M/N) or ceil(M/N) slots', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.constantFrom(251, 1009, 65537), (n, m) => {
        const keys = Array.from({ length: n }, (_, i) => `10.4.0.${i + 1}:9000`);
        for (const c of Object.values(countPerHost(buildMaglev(hostsOf(keys), { tableSize: m }, xxh)))) {
          assert.ok(c === Math.floor(m / n) || c === Math.ceil(m / n));
        }
      }),
      { numRuns: 30 },
    );
  });
});
