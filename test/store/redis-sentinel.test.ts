// Two mcpgw "replicas" on Redis behind Sentinel (a master, its replica, a Sentinel; all real
// processes on loopback): sessions, invalidation, limits and DPoP replay are shared; the master is
// killed under load and the Sentinel promotes the replica: cached sessions keep routing, failures are
// clean StoreUnavailableErrors, mcpgw follows the new master by itself, and with bindingWrites /
// limitWrites WAIT nothing acknowledged is lost and no limit over-admits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { MemoryReplayCache } from '../../src/identity/index.js';
import { Limiter, type LimitsOptions } from '../../src/limits/index.js';
import { RedisSessionRegistry, type SessionBinding } from '../../src/sessions/index.js';
import { RedisReplayCache, RedisStore, StoreUnavailableError } from '../../src/store/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { eventually } from '../sessions/redisHarness.js';
import { startRedisSentinel, type RedisSentinelProcess } from '../support/redis.js';

const silent = createLogger('silent');
const DECADE = { seconds: 10 * 365 * 86_400 };
const LIMITS: LimitsOptions = { replicas: 2, limits: [{ name: 'quota', per: ['tenant'], quota: { requests: 30, window: DECADE }, whenUnavailable: 'fail-closed' }] };
const call = (tenant: string) => ({ server: 'db', method: 'tools/call', tool: 'run_query', principal: 'alice', tenant, isNewSession: false });
// Shorter than commandTimeoutMs: after the failover the new master has no replica, and each WAIT runs out.
const WAIT = { waitReplicas: 1, waitTimeoutMs: 200 };

interface Replica {
  store: RedisStore;
  registry: RedisSessionRegistry;
  limiter: Limiter;
  replay: RedisReplayCache;
  lost: number;
  close(): Promise<void>;
}

async function replicas(s: RedisSentinelProcess): Promise<[Replica, Replica]> {
  const keyPrefix = `sn${process.pid}:`;
  const made = await Promise.all(
    [0, 1].map(async () => {
      const store = new RedisStore({ sentinel: { addresses: s.sentinels, masterName: s.masterName }, keyPrefix, logger: silent, commandTimeoutMs: 1000, bindingWrites: WAIT, limitWrites: WAIT });
      const r: Replica = {
        store,
        registry: new RedisSessionRegistry(store, { ttlMs: 600_000, cache: { max: 100_000, ttlMs: 600_000 }, logger: silent, onLost: (n) => (r.lost += n) }),
        limiter: new Limiter(LIMITS, { store, logger: silent }),
        replay: new RedisReplayCache(store, new MemoryReplayCache()),
        lost: 0,
        close: async () => {
          r.registry.stop();
          r.limiter.stop();
          await store.close();
        },
      };
      store.connect();
      r.registry.start();
      await eventually(() => store.ping(), 20_000);
      return r;
    }),
  );
  return made as [Replica, Replica];
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
    const acked: SessionBinding[] = [];
    const wrongPod: string[] = [];
    const unexpected: unknown[] = [];
    let refused = 0;
    let admitted = 0;
    let next = 1000;
    let running = true;
    const loop = async (step: (i: number) => Promise<void>) => {
      for (let i = 0; running; i++) {
        try {
          await step(i);
        } catch (err) {
          if (err instanceof StoreUnavailableError) refused++;
          else unexpected.push(err);
        }
        await setImmediatePromise();
      }
    };
    const traffic = Promise.all([
      loop(async (i) => {
        const x = binding(next++);
        await [a, b][i % 2]!.registry.put(x);
        acked.push(x);
      }),
      loop(async (i) => {
        const x = cached[i % cached.length]!;
        const got = await [a, b][i % 2]!.registry.get('files', x.id);
        if (got?.pod !== x.pod) wrongPod.push(`${x.id}: ${got?.pod}`);
      }),
      loop(async (i) => {
        if ((await [a, b][i % 2]!.limiter.check(call('failover'))).allowed) admitted++;
      }),
    ]);
    try {
      await eventually(() => assert.ok(acked.length >= 30 && admitted >= 10, 'traffic before the kill'), 20_000);
      const old = await sentinel.master();
      await old.kill();
      await sentinel.failedOver(old);
      const before = acked.length;
      await eventually(() => assert.ok(acked.length >= before + 30, 'writes flow again through the new master'), 30_000);
    } finally {
      running = false;
      await traffic;
    }
    const raw = (x: SessionBinding) => a.store.run('test.get', (c) => c.exists(`${a.store.keyPrefix}s:files:${x.id}`));
    const missing = (await Promise.all(acked.map(async (x) => ((await raw(x)) ? undefined : x)))).filter((x) => x !== undefined);
    t.diagnostic(`${acked.length} bindings acknowledged, ${refused} operations refused during the failover, ${missing.length} lost (counted ${a.lost + b.lost}); ${admitted} admitted under a quota of 30`);
    assert.deepEqual(unexpected, [], 'every failure was a StoreUnavailableError');
    assert.deepEqual(wrongPod, [], 'cached sessions always routed to their own pod');
    assert.equal(missing.length, 0, 'WAIT: no acknowledged binding lost');
    assert.equal(a.lost + b.lost, 0);
    assert.ok(admitted <= 30, `admitted ${admitted} under a quota of 30`);
  });
});
