// Two mcpgw replicas (two registries with their own connections and caches) on one Redis.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { binding } from './contract.js';
import { eventually, readyReplica, uniquePrefix, type Replica } from './redisHarness.js';

let redis: RedisProcess;
let a: Replica;
let b: Replica;
before(async () => {
  redis = await startRedis();
  const prefix = uniquePrefix();
  // Caches outlive every test, so only pub/sub invalidation can make a cached copy go away.
  a = await readyReplica(redis.url, prefix, { cacheTtlMs: 600_000 });
  b = await readyReplica(redis.url, prefix, { cacheTtlMs: 600_000 });
});
after(async () => {
  await a.close();
  await b.close();
  await redis.stop();
});

it('each replica sees the bindings the other recorded, and their pod counts', async () => {
  const s = binding({ pod: 'A:1', principal: 'alice' });
  await a.registry.put(s);
  assert.deepEqual(await b.registry.get('files', s.id), s);
  assert.equal((await b.registry.livePerPod('files')).get('A:1'), 1);
  await b.registry.delete('files', s.id);
});

it('a delete on one replica evicts the other replica’s cached copy', async () => {
  const s = binding();
  await a.registry.put(s);
  assert.deepEqual(await b.registry.get('files', s.id), s); // now cached on b
  assert.deepEqual(await a.registry.delete('files', s.id), s);
  await eventually(async () => assert.equal(await b.registry.get('files', s.id), undefined));
});

it('a re-bind to another pod on one replica replaces the other replica’s cached pod', async () => {
  const s = binding({ pod: 'A:1' });
  await a.registry.put(s);
  assert.equal((await b.registry.get('files', s.id))?.pod, 'A:1');
  await a.registry.put({ ...s, pod: 'B:1' });
  await eventually(async () => assert.equal((await b.registry.get('files', s.id))?.pod, 'B:1'));
});

it('only the replica that deleted reports the end', async () => {
  const seenA: string[] = [];
  const seenB: string[] = [];
  const offA = a.registry.onEnded((x) => seenA.push(x.id));
  const offB = b.registry.onEnded((x) => seenB.push(x.id));
  const s = binding();
  await a.registry.put(s);
  await b.registry.get('files', s.id);
  await a.registry.delete('files', s.id);
  await eventually(async () => assert.equal(await b.registry.get('files', s.id), undefined));
  offA();
  offB();
  assert.deepEqual(seenA, [s.id]);
  assert.deepEqual(seenB, []);
});
