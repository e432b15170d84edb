// An unreachable Redis in the log: one warning when it goes, at most one a minute while it stays
// away, one info line when it answers again, however many requests fail meanwhile.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisStore } from '../../src/store/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { eventually } from '../sessions/redisHarness.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { LineSink } from '../telemetry/lines.js';

describe('redis outage log', () => {
  let redis: RedisProcess;
  let store: RedisStore;
  const sink = new LineSink();
  let nowMs = Date.UTC(2030, 0, 1);
  const lines = (level: string) => sink.objects.filter((l) => l.level === level && String(l.msg).startsWith('redis'));
  const warnings = () => lines('warn');
  const infos = () => lines('info').filter((l) => l.msg === 'redis reachable again');
  /** Sends `n` commands while Redis is away: each fails. */
  const failing = async (n: number) => {
    for (let i = 0; i < n; i++) await assert.rejects(store.ping());
  };

  before(async () => {
    redis = await startRedis();
    store = new RedisStore({ url: redis.url, logger: createLogger('info', sink), commandTimeoutMs: 1000, now: () => nowMs });
    store.connect();
    await eventually(() => store.ping());
  });
  after(async () => {
    await store.close();
    await redis.stop();
  });

  it('connecting at start-up is not an outage', () => assert.deepEqual(warnings(), []));

  it('first failure: one warning; fifty more within the minute: none', async () => {
    await redis.kill();
    await failing(1);
    await eventually(() => assert.equal(warnings().length, 1, 'a warning on the first failure'));
    await failing(50);
    assert.equal(warnings().length, 1, 'no more warnings within the minute');
  });

  it('a minute later, still away: one more warning, counting the quiet failures', async () => {
    nowMs += 61_000;
    await failing(3);
    assert.equal(warnings().length, 2);
    assert.ok(Number(warnings()[1]?.failuresSinceLastWarning) >= 50, JSON.stringify(warnings()[1]));
  });

  it('back again: one info line, and a later outage warns at once', async () => {
    await redis.restart();
    await eventually(() => store.ping());
    await eventually(() => assert.equal(infos().length, 1, 'reachable again is logged once'));
    await store.ping();
    assert.equal(infos().length, 1);
    await redis.kill();
    await failing(1);
    await eventually(() => assert.equal(warnings().length, 3, 'a new outage warns without waiting a minute'));
  });
});
