// How much Redis memory one session costs, for sizing (docs/operations.md quotes these figures).
// Realistic fields: UUID session ids (what the MCP SDKs issue), pod "ip:port", a principal.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { readyReplica, uniquePrefix, type Replica } from './redisHarness.js';

const SESSIONS = 5_000;
const PODS = 10;

let redis: RedisProcess;
let raw: Redis;
let r: Replica;
let prefix: string;
before(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
  prefix = uniquePrefix();
  r = await readyReplica(redis.url, prefix);
});
after(async () => {
  await r.close();
  raw.disconnect();
  await redis.stop();
});

async function usedMemory(): Promise<number> {
  const info = await raw.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

it(`measures bytes per session over ${SESSIONS} sessions`, async (t) => {
  const before = await usedMemory();
  let first = '';
  for (let i = 0; i < SESSIONS; i += 500) {
    await Promise.all(
      Array.from({ length: 500 }, (_, j) => {
        const id = randomUUID();
        first ||= id;
        const now = Date.now();
        return r.registry.put({
          id,
          server: 'files',
          kind: 'streamable',
          pod: `10.12.34.${(i + j) % PODS}:8080`,
          principal: `user-${i + j}@example.com`,
          revision: '2025-11-25',
          createdAt: now,
          lastSeenAt: now,
        });
      }),
    );
  }
  const total = (await usedMemory()) - before;
  const perSession = Math.round(total / SESSIONS);
  const binding = Number(await raw.memory('USAGE', `${prefix}s:files:${first}`));
  const indexes = await Promise.all(
    [`${prefix}idx`, `${prefix}exp`, ...Array.from({ length: PODS }, (_, p) => `${prefix}p:files:10.12.34.${p}:8080`)].map(async (k) =>
      Number(await raw.memory('USAGE', k, 'SAMPLES', '0')),
    ),
  );
  const perSessionIndexes = Math.round(indexes.reduce((a, b) => a + b, 0) / SESSIONS);
  t.diagnostic(`used_memory grew ${total} bytes: ${perSession} bytes per session`);
  t.diagnostic(`MEMORY USAGE: binding key ${binding} bytes; indexes ${perSessionIndexes} bytes per session`);
  assert.equal((await r.registry.livePerPod('files')).get('10.12.34.0:8080'), SESSIONS / PODS);
  // A ceiling well above today's figure: trips on a layout change that multiplies the cost.
  assert.ok(perSession < 1500, `${perSession} bytes per session`);
});
