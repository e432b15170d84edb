import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { AffinityKeyTable, addressHeaderValue, buildHashLb, headerPolicyHash, loadXxh64, type Xxh64 } from '../../src/routing/index.js';

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
