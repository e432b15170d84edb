// Two mcpgw "replicas" on Redis behind Sentinel (a master, its replica, a Sentinel; all real
// processes on loopback): sessions, invalidation, limits and DPoP replay are shared; the master is
// killed under load and the Sentinel promotes the replica: cached sessions keep routing, failures are
// clean StoreUnavailableErrors, mcpgw follows the new master by itself, and with bindingWrites /
// limitWrites WAIT nothing acknowledged is lost and no limit over-admits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LimitsOptions } from '../../src/limits/index.js';
import type { SessionBinding } from '../../src/sessions/index.js';
import { eventually } from '../sessions/redisHarness.js';
import { startRedisSentinel, type RedisSentinelProcess } from '../support/redis.js';
import { startLoad, startReplicas, WAIT, type Replica } from './replicas.js';

const DECADE = { seconds: 10 * 365 * 86_400 };
const LIMITS: LimitsOptions = { replicas: 2, limits: [{ name: 'quota', per: ['tenant'], quota: { requests: 30, window: DECADE }, whenUnavailable: 'fail-closed' }] };
const call = (tenant: string) => ({ server: 'db', method: 'tools/call', tool: 'run_query', principal: 'alice', tenant, isNewSession: false });

function replicas(s: RedisSentinelProcess): Promise<[Replica, Replica]> {
  return startReplicas({ sentinel: { addresses: s.sentinels, masterName: s.masterName }, bindingWrites: WAIT, limitWrites: WAIT }, LIMITS);
}

function binding(i: number): SessionBinding {
  const now = Date.now();
  return { id: `sn-${i}`, server: 'files', kind: 'streamable', pod: `10.0.1.${i % 3}:8080`, revision: '2025-11-25', createdAt: now, lastSeenAt: now };
}

let sentinel: RedisSentinelProcess;
let a: Replica;
let b: Replica;
before(async () => {
  sentinel = await startRedisSentinel();
  [a, b] = await replicas(sentinel);
});
after(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await sentinel?.stop();
});

describe('two replicas on Redis behind Sentinel', () => {
  it('share sessions, invalidations, limits and DPoP proof ids', async () => {
    const all = Array.from({ length: 12 }, (_, i) => binding(i));
    await Promise.all(all.map((x) => a.registry.put(x)));
    for (const x of all) assert.deepEqual(await b.registry.get('files', x.id), x);
    await a.registry.delete('files', all[0]!.id);
    await eventually(async () => assert.equal(await b.registry.get('files', all[0]!.id), undefined));
    const verdicts = await Promise.all(Array.from({ length: 50 }, (_, i) => [a, b][i % 2]!.limiter.check(call('shared'))));
    assert.equal(verdicts.filter((v) => v.allowed).length, 30);
    assert.equal(await a.replay.seen('jti-1', 60_000), false);
    assert.equal(await b.replay.seen('jti-1', 60_000), true);
  });

  it('the master killed under load: cached sessions keep routing, mcpgw follows the promoted replica, nothing acknowledged is lost, no over-admission', async (t) => {
    const cached = Array.from({ length: 20 }, (_, i) => binding(100 + i));
    await Promise.all(cached.map((x) => a.registry.put(x)));
    for (const x of cached) await b.registry.get('files', x.id);
    let next = 1000;
    const load = startLoad([a, b], { cached, newBinding: () => binding(next++), limitCall: () => call('failover') });
    try {
      await eventually(() => assert.ok(load.acked.length >= 30 && load.admitted >= 10, 'traffic before the kill'), 20_000);
      const old = await sentinel.master();
      await old.kill();
      await sentinel.failedOver(old);
      const before = load.acked.length;
      await eventually(() => assert.ok(load.acked.length >= before + 30, 'writes flow again through the new master'), 30_000);
    } finally {
      await load.stop();
    }
    const raw = (x: SessionBinding) => a.store.run('test.get', (c) => c.exists(`${a.store.keyPrefix}s:files:${x.id}`));
    const missing = (await Promise.all(load.acked.map(async (x) => ((await raw(x)) ? undefined : x)))).filter((x) => x !== undefined);
    t.diagnostic(`${load.acked.length} bindings acknowledged, ${load.refused} operations refused during the failover, ${missing.length} lost (counted ${a.lost + b.lost}); ${load.admitted} admitted under a quota of 30`);
    assert.deepEqual(load.unexpected, [], 'every failure was a StoreUnavailableError');
    assert.deepEqual(load.wrongPod, [], 'cached sessions always routed to their own pod');
    assert.equal(missing.length, 0, 'WAIT: no acknowledged binding lost');
    assert.equal(a.lost + b.lost, 0);
    assert.ok(load.admitted <= 30, `admitted ${load.admitted} under a quota of 30`);
  });
});
