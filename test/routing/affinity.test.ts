import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { AffinityKeyTable, EndpointSet, addressHeaderValue, buildHashLb, headerPolicyHash, loadXxh64, type Xxh64 } from '../../src/routing/index.js';

const hostsOf = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}:8080`);

describe('AffinityKeyTable', () => {
  let xxh: Xxh64;
  before(async () => (xxh = await loadXxh64()));

  for (const policy of ['ring_hash', 'maglev'] as const) {
    it(`${policy}: every host gets a key that Envoy's LB maps back to it (3, 30, 300 hosts)`, () => {
      for (const n of [3, 30, 300]) {
        const hosts = hostsOf(n);
        const table = AffinityKeyTable.build(hosts, { policy }, xxh);
        const envoy = buildHashLb(policy, hosts.map((key) => ({ key })), {}, xxh);
        for (const h of hosts) {
          const key = table.keyFor(h);
          assert.ok(key, `no key for ${h} of ${n}`);
          assert.equal(envoy.pick(headerPolicyHash([key], xxh) ?? 0n), h);
          assert.equal(table.hostFor(key), h);
        }
      }
    });
  }

  it('for any endpoint set, keys land where an independently built LB says', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 254 }), { minLength: 1, maxLength: 12 }), fc.constantFrom('ring_hash' as const, 'maglev' as const), (octets, policy) => {
        const hosts = octets.map((o) => `192.168.1.${o}:9000`);
        const table = AffinityKeyTable.build(hosts, { policy }, xxh);
        const envoy = buildHashLb(policy, hosts.map((key) => ({ key })), {}, xxh);
        for (const h of hosts) assert.equal(envoy.pick(headerPolicyHash([table.keyFor(h) ?? ''], xxh) ?? 0n), h);
      }),
      { numRuns: 40 },
    );
  });

  it('no hosts: no keys, no prediction', () => {
    const t = AffinityKeyTable.build([], { policy: 'ring_hash' }, xxh);
    assert.equal(t.keyFor('10.0.0.1:8080'), undefined);
    assert.equal(t.hostFor('abc'), undefined);
  });

  it('address mode writes base64("ip:port") as the stateful-session filter reads it', () => {
    assert.equal(addressHeaderValue('10.0.0.3:8080'), 'MTAuMC4wLjM6ODA4MA==');
  });
});

describe('AffinityKeyTable over a convergence window', () => {
  let xxh: Xxh64;
  before(async () => (xxh = await loadXxh64()));

  const pick = (set: EndpointSet, key: string) => set.lb?.pick(headerPolicyHash([key], xxh) ?? 0n);

  it('for random endpoint histories, the key for P lands on P under every set of the window that holds P', () => {
    // A history is a sequence of sets over a pool of 12 pods, each step adding and removing a few.
    const history = fc.array(fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(history, fc.constantFrom('ring_hash' as const, 'maglev' as const), (steps, policy) => {
        const sets = steps.map((octets) => EndpointSet.build([...octets].sort((a, b) => a - b).map((o) => `10.1.0.${o}:8080`), { policy }, xxh));
        const current = sets.at(-1)!;
        const { table, unconverged } = AffinityKeyTable.forWindow(current, sets.slice(0, -1), xxh);
        for (const host of current.hosts) {
          const key = table.keyFor(host);
          assert.ok(key, `no key for ${host}`);
          assert.equal(pick(current, key), host, 'right under the current set');
          if (unconverged.includes(host)) continue;
          for (const s of sets) if (s.hosts.has(host)) assert.equal(pick(s, key), host, `right under an earlier set holding ${host}`);
        }
        // With at most 12 pods and 6 sets, the bounded search always finds window-safe keys.
        assert.deepEqual(unconverged, []);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps the previous key of a pod while it still fits the window, so keys do not churn', () => {
    const cfg = { policy: 'ring_hash' as const };
    const three = EndpointSet.build(hostsOf(3), cfg, xxh);
    const four = EndpointSet.build(hostsOf(4), cfg, xxh);
    const first = AffinityKeyTable.forWindow(three, [], xxh).table;
    const next = AffinityKeyTable.forWindow(four, [three], xxh, first).table;
    for (const host of hostsOf(3)) {
      const key = first.keyFor(host)!;
      if (pick(four, key) === host) assert.equal(next.keyFor(host), key, `${host} kept its key`);
      else assert.notEqual(next.keyFor(host), key, `${host} got a key that fits the new set`);
    }
  });

  it('a pod no window-safe key can reach is reported and gets a key right under the current set', () => {
    // Consistent hashing keeps a pod's share across sets, so this needs a contrived history: small
    // Maglev tables where P (sorting last) holds one slot, a different one in each earlier set.
    const cfg = { policy: 'maglev' as const, tableSize: 307 };
    const [p, q] = ['10.9.0.1:8080', '10.9.0.2:8080'];
    const earlier = [4, 5, 6, 7].map((net) => EndpointSet.build([p, ...Array.from({ length: 299 }, (_, i) => `10.${net}.${Math.floor(i / 250)}.${(i % 250) + 1}:8080`)], cfg, xxh));
    const current = EndpointSet.build([p, q], cfg, xxh);
    const { table, unconverged } = AffinityKeyTable.forWindow(current, earlier, xxh);
    assert.deepEqual(unconverged, [p]);
    for (const h of [p, q]) assert.equal(pick(current, table.keyFor(h)!), h);
  });
});
