// Two mcpgw "replicas" (each its own RedisStore, session registry, limiter and DPoP replay cache) on
// a real 3-master / 3-replica Redis Cluster: sessions, invalidation, limits and replay work across
// slots; a slot moves while traffic runs (ASK, then MOVED); a master is killed under load and the
// cluster fails over: cached sessions keep routing, nothing crashes, mcpgw recovers by itself, limits
// never over-admit, and the bindings the failover lost are exactly the ones counted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { Limiter, type LimitsOptions } from '../../src/limits/index.js';
import type { SessionBinding } from '../../src/sessions/index.js';
import { listAll } from '../sessions/contract.js';
import { eventually } from '../sessions/redisHarness.js';
import { startRedisCluster, type RedisClusterProcess } from '../support/redis.js';
import { silent, startLoad, startReplicas, WAIT, type Replica } from './replicas.js';

/** Windows this long never roll over during a test run. */
const DECADE = { seconds: 10 * 365 * 86_400 };
const LIMITS: LimitsOptions = {
  replicas: 2,
  limits: [
    { name: 'tenant-quota', per: ['tenant'], quota: { requests: 40, window: DECADE }, whenUnavailable: 'fail-closed' },
    { name: 'failover-quota', per: ['server'], match: { servers: ['failover'] }, quota: { requests: 30, window: DECADE }, whenUnavailable: 'fail-closed' },
    { name: 'principal-quota', per: ['principal'], quota: { requests: 1000, window: DECADE }, whenUnavailable: 'fail-closed' },
  ],
};
const call = (tenant: string, principal = 'alice') => ({ server: tenant === 'failover' ? 'failover' : 'db', method: 'tools/call', tool: 'run_query', principal, tenant, isNewSession: false });

function replicas(cluster: RedisClusterProcess, o: { limitWait?: boolean } = {}): Promise<Replica[]> {
  return startReplicas({ cluster: { nodes: cluster.seeds, slotGroups: 16 }, ...(o.limitWait && { limitWrites: WAIT }) }, LIMITS);
}

function binding(i: number, pods = 3): SessionBinding {
  const now = Date.now();
  return { id: `sess-${i}-${'x'.repeat(8)}`, server: 'files', kind: 'streamable', pod: `10.0.0.${i % pods}:8080`, revision: '2025-11-25', createdAt: now, lastSeenAt: now };
}

/** The key a session's binding lives at (slot group chosen as the registry does). */
function bindingKey(r: Replica, b: SessionBinding): string {
  return `${r.store.keyPrefix}${r.store.slotTag(`s${groupOf(b)}`)}s:${b.server}:${b.id}`;
}

function groupOf(b: SessionBinding, groups = 16): number {
  let h = 0x811c9dc5;
  const s = `${b.server} ${b.id}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) % groups;
}

let cluster: RedisClusterProcess;
before(async () => {
  cluster = await startRedisCluster();
});
after(async () => {
  await cluster?.stop();
});

describe('two replicas on a Redis Cluster', () => {
  let a: Replica;
  let b: Replica;
  before(async () => {
    [a, b] = (await replicas(cluster)) as [Replica, Replica];
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('sessions: written on one replica, read, counted, listed once and removed on the other, spread over every master', async () => {
    const all = Array.from({ length: 60 }, (_, i) => binding(i));
    await Promise.all(all.map((x) => a.registry.put(x)));
    for (const x of all) assert.deepEqual(await b.registry.get('files', x.id), x);
    assert.deepEqual([...(await b.registry.livePerPod('files'))].sort(), [['10.0.0.0:8080', 20], ['10.0.0.1:8080', 20], ['10.0.0.2:8080', 20]]);
    const listed = await listAll(b.registry, { limit: 7 });
    assert.deepEqual(listed.map((x) => x.id).sort(), all.map((x) => x.id).sort());
    const masters = new Set(await Promise.all(all.map(async (x) => (await cluster.masterOf(bindingKey(a, x))).port)));
    assert.equal(masters.size, 3, 'bindings spread over the three masters');
    await Promise.all(all.filter((x) => x.pod === '10.0.0.1:8080').map((x) => b.registry.delete('files', x.id)));
    assert.deepEqual([...(await a.registry.livePerPod('files'))].sort(), [['10.0.0.0:8080', 20], ['10.0.0.2:8080', 20]]);
    await Promise.all(all.map((x) => a.registry.delete('files', x.id)));
  });

  it('invalidation: a session ended on one replica stops routing on the other at once (pub/sub, not the cache TTL)', async () => {
    const x = binding(100);
    await a.registry.put(x);
    assert.ok(await b.registry.get('files', x.id), 'cached on b');
    await a.registry.delete('files', x.id);
    await eventually(async () => assert.equal(await b.registry.get('files', x.id), undefined));
  });

  it('DPoP: a proof id used on one replica is a replay on the other', async () => {
    assert.equal(await a.replay.seen('proof-1', 60_000), false);
    assert.equal(await b.replay.seen('proof-1', 60_000), true);
  });

  it('limits in two slots: under concurrent load from both replicas, no limit admits past its count and nothing refused stays consumed', async (t) => {
    const verdicts = await Promise.all(Array.from({ length: 120 }, (_, i) => [a, b][i % 2]!.limiter.check(call('eng'))));
    const admitted = verdicts.filter((v) => v.allowed).length;
    t.diagnostic(`admitted ${admitted} of 120 concurrent requests under a quota of 40 (limits in two slots)`);
    assert.ok(admitted <= 40, `admitted ${admitted} of a quota of 40`);
    assert.ok(admitted >= 30, `admitted ${admitted}: refusals rolled back what they took elsewhere`);
    // Quiet now: the tenant quota has exactly 40 - admitted left, and the principal quota 1000 - admitted.
    const later = await Promise.all(Array.from({ length: 60 }, (_, i) => [a, b][i % 2]!.limiter.check(call('eng', 'bob'))));
    assert.equal(later.filter((v) => v.allowed).length, 40 - admitted, 'the tenant quota lost nothing to refused requests');
  });

  it('one slot: replicas together admit exactly the limit', async () => {
    const one: LimitsOptions = { replicas: 2, limits: [{ name: 'q', per: ['tenant'], quota: { requests: 25, window: DECADE } }] };
    const [la, lb] = [new Limiter(one, { store: a.store, logger: silent }), new Limiter(one, { store: b.store, logger: silent })];
    try {
      const verdicts = await Promise.all(Array.from({ length: 100 }, (_, i) => [la, lb][i % 2]!.check(call('solo'))));
      assert.equal(verdicts.filter((v) => v.allowed).length, 25);
    } finally {
      la.stop();
      lb.stop();
    }
  });

  it('resharding: the slot of live sessions moves to another master while both replicas keep reading and writing them (ASK, then MOVED)', async () => {
    const group = Array.from({ length: 400 }, (_, i) => binding(1000 + i)).filter((x) => groupOf(x) === 3);
    await Promise.all(group.map((x) => a.registry.put(x)));
    const from = await cluster.masterOf(bindingKey(a, group[0]!));
    const keySlot = await slotOf(cluster, bindingKey(a, group[0]!));
    const target = (await masters(cluster)).find((n) => n.port !== from.port)!;
    const failures: unknown[] = [];
    let reads = 0;
    let writes = 0;
    let running = true;
    const loop = async (step: (i: number) => Promise<void>) => {
      for (let i = 0; running; i++) {
        try {
          await step(i);
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const traffic = Promise.all([
      // Uncached reads of the moving slot's keys: served by the old master, by the new one after ASK, then after MOVED.
      loop(async (i) => {
        const x = group[i % group.length]!;
        assert.ok(await b.store.run('test.get', (c) => c.get(bindingKey(b, x))), `binding ${x.id} readable`);
        reads++;
      }),
      // Writes: a script over keys split between two nodes gets TRYAGAIN, which ioredis retries until the move ends.
      loop(async (i) => {
        const x = group[i % group.length]!;
        await [a, b][i % 2]!.registry.put({ ...x, lastSeenAt: Date.now() });
        writes++;
      }),
    ]);
    await cluster.moveSlot(keySlot, target, async () => {
      const start = reads;
      await eventually(() => assert.ok(reads >= start + 10, 'reads ran while the slot was half moved'), 20_000);
    });
    const [readsAfter, writesAfter] = [reads, writes];
    await eventually(() => assert.ok(reads >= readsAfter + 20 && writes >= writesAfter + 20, 'traffic ran after the move'), 20_000);
    running = false;
    await traffic;
    assert.deepEqual(failures, [], 'no operation failed');
    assert.equal((await cluster.masterOf(bindingKey(a, group[0]!))).port, target.port);
    for (const x of group) assert.equal((await b.registry.get('files', x.id))?.pod, x.pod);
    assert.equal([...(await a.registry.livePerPod('files')).values()].reduce((n, c) => n + c, 0), group.length);
  });
});

async function slotOf(cluster: RedisClusterProcess, key: string): Promise<number> {
  const r = new Redis(cluster.nodes[0]!.port, '127.0.0.1');
  try {
    return Number(await r.call('CLUSTER', 'KEYSLOT', key));
  } finally {
    r.disconnect();
  }
}

async function masters(cluster: RedisClusterProcess) {
  const out = [];
  for (const n of cluster.nodes) {
    const r = new Redis(n.port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true }).on('error', () => undefined);
    try {
      await r.connect();
      if (/role:master/.test(await r.info('replication'))) out.push(n);
    } catch {
      // down
    } finally {
      r.disconnect();
    }
  }
  return out;
}

describe('a master of the Cluster killed under load', () => {
  let a: Replica;
  let b: Replica;
  before(async () => {
    // Limit counters wait for their replica (limitWrites), so the failover cannot forget an admission.
    [a, b] = (await replicas(cluster, { limitWait: true })) as [Replica, Replica];
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('cached sessions keep routing to their pod, writes to the dead slots fail cleanly then recover by themselves, limits never over-admit, lost bindings are counted exactly', async (t) => {
    const cached = Array.from({ length: 48 }, (_, i) => binding(5000 + i));
    await Promise.all(cached.map((x) => a.registry.put(x)));
    for (const x of cached) await b.registry.get('files', x.id); // now cached on both
    const victim = await cluster.masterOf(bindingKey(a, cached[0]!));
    const onVictim = (await Promise.all(cached.map(async (x) => ((await cluster.masterOf(bindingKey(a, x))).port === victim.port ? x : undefined)))).filter((x) => x !== undefined);

    let next = 10_000;
    const load = startLoad([a, b], { cached, newBinding: () => binding(next++), limitCall: (i) => call('failover', `p${i % 7}`) });
    try {
      await eventually(() => assert.ok(load.acked.length >= 50 && load.admitted >= 10, 'traffic before the kill'), 20_000);
      await victim.kill();
      await cluster.healthy(30_000);
      // Recovery by itself: new sessions whose slot was on the dead master are written again.
      await eventually(async () => {
        const probe = Array.from({ length: 32 }, () => binding(next++));
        await Promise.all(probe.map((x) => a.registry.put(x)));
      }, 30_000);
      const afterRecovery = load.acked.length;
      await eventually(() => assert.ok(load.acked.length >= afterRecovery + 50, 'writes flow after recovery'), 20_000);
    } finally {
      await load.stop();
    }
    assert.deepEqual(load.unexpected, [], 'every failure was a StoreUnavailableError (whenUnavailable applies), nothing else');
    assert.deepEqual(load.wrongPod, [], 'cached sessions always routed to their own pod');
    assert.ok(onVictim.length > 0, 'some cached sessions lived on the killed master');
    assert.ok(load.admitted <= 30, `admitted ${load.admitted} under a quota of 30`);
    // Every acknowledged binding is still there, or was lost by the failover and counted as such.
    const missing = (await Promise.all(load.acked.map(async (x) => ((await b.store.run('test.get', (c) => c.get(bindingKey(b, x)))) ? undefined : x)))).filter((x) => x !== undefined);
    await eventually(() => assert.equal(a.lost + b.lost, missing.length, 'lost bindings counted'), 20_000);
    t.diagnostic(`${load.acked.length} bindings acknowledged, ${load.refused} operations refused during the failover, ${missing.length} lost (counted ${a.lost + b.lost}); ${load.admitted} admitted under a quota of 30`);
    await victim.restart(); // rejoins as a replica of the promoted one
  });
});
