// The in-process registry: the shared contract, plus expiry and touch on an injected clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySessionRegistry, type SessionEndReason } from '../../src/sessions/index.js';
import { binding, registryContract } from './contract.js';

registryContract('memory', async () => ({
  registry: new MemorySessionRegistry({ ttlMs: 60_000 }),
  close: async () => {},
}));

const TTL = 60_000;

function clocked() {
  let t = 1_700_000_000_000;
  const registry = new MemorySessionRegistry({ ttlMs: TTL, now: () => t });
  return { registry, now: () => t, advance: (ms: number) => (t += ms) };
}

describe('memory registry: time', () => {
  it('expires a binding after the TTL: gone from get, livePerPod and list, reported as expired', async () => {
    const { registry, now, advance } = clocked();
    const ended: [string, SessionEndReason][] = [];
    registry.onEnded((b, reason) => ended.push([b.id, reason]));
    const early = binding({ pod: 'A:1', lastSeenAt: now() });
    await registry.put(early);
    advance(TTL / 2);
    const late = binding({ pod: 'A:1', lastSeenAt: now() });
    await registry.put(late);
    assert.deepEqual(await registry.livePerPod('files'), new Map([['A:1', 2]]));
    advance(TTL / 2 + 1);
    assert.deepEqual(await registry.livePerPod('files'), new Map([['A:1', 1]]));
    assert.deepEqual(ended, [[early.id, 'expired']]);
    assert.equal(await registry.get('files', early.id), undefined);
    assert.deepEqual((await registry.list({ limit: 10 })).items, [late]);
    advance(TTL);
    assert.equal(await registry.get('files', late.id), undefined);
    assert.deepEqual(await registry.livePerPod('files'), new Map());
    assert.deepEqual(ended.map(([, r]) => r), ['expired', 'expired']);
  });

  it('touch restarts the TTL and records lastSeenAt', async () => {
    const { registry, now, advance } = clocked();
    const b = binding({ lastSeenAt: now() });
    await registry.put(b);
    advance(TTL * 0.6);
    await registry.touch(b, now());
    advance(TTL * 0.6);
    assert.equal((await registry.get('files', b.id))?.lastSeenAt, b.lastSeenAt + TTL * 0.6);
    advance(TTL * 0.6);
    assert.equal(await registry.get('files', b.id), undefined);
  });

  it('touch within ttl/20 of the last write skips the write', async () => {
    const { registry, now, advance } = clocked();
    const b = binding({ lastSeenAt: now() });
    await registry.put(b);
    advance(TTL / 40);
    await registry.touch(b, now());
    assert.equal((await registry.get('files', b.id))?.lastSeenAt, b.lastSeenAt);
    advance(TTL - TTL / 40 + 1);
    assert.equal(await registry.get('files', b.id), undefined, 'the skipped touch did not extend the TTL');
  });

  it('ends the least recently used binding at capacity, reported as expired', async () => {
    const registry = new MemorySessionRegistry({ ttlMs: TTL, maxSessions: 2 });
    const ended: string[] = [];
    registry.onEnded((b, reason) => ended.push(`${b.id}:${reason}`));
    const [a, b, c] = [binding(), binding(), binding()];
    for (const x of [a, b, c]) await registry.put(x);
    assert.deepEqual(ended, [`${a.id}:expired`]);
    assert.equal(await registry.get('files', a.id), undefined);
  });
});
