// ServerPods over a convergence window: what a pod set that Envoy has not caught up with yet means for
// new sessions, keys and /admin/pods (docs/operations.md, "Convergence").
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { EndpointSnapshot } from '../../src/endpoints/index.js';
import { EndpointSet, MAX_WINDOW_SETS, ServerPods, headerPolicyHash, loadXxh64, type Xxh64 } from '../../src/routing/index.js';

const WINDOW_MS = 30_000;
const host = (n: number) => `10.0.0.${n}:8080`;

function snapshot(hosts: number[]): EndpointSnapshot {
  const keys = hosts.map(host).sort();
  return { synced: true, endpoints: keys.map((hostKey) => ({ hostKey, ready: true, serving: true, terminating: false, drainRequested: false })), envoyHosts: keys, persistentSession: false };
}

describe('ServerPods convergence window', () => {
  let xxh: Xxh64;
  before(async () => (xxh = await loadXxh64()));

  const serverPods = (onKeysBuilt?: (u: readonly string[]) => void, convergenceMs = WINDOW_MS) =>
    new ServerPods({ mode: 'hash', lb: { policy: 'ring_hash' }, drainDeadlineMs: 60_000, convergenceMs, ...(onKeysBuilt ? { onKeysBuilt } : {}) }, xxh, () => new Map());
  const chosen = (pods: ServerPods, now: number) => new Set(Array.from({ length: 200 }, (_, i) => pods.choosePod(new Map(), now, () => (i + 0.5) / 200)));
  const converging = (pods: ServerPods, now: number) => pods.pods(now).filter((p) => p.converging).map((p) => p.host);

  it('a new pod takes no new sessions until the window passes, and /admin/pods says it is converging', () => {
    const pods = serverPods();
    pods.update(snapshot([1, 2, 3]), 0);
    pods.update(snapshot([1, 2, 3, 4]), 1_000);
    assert.deepEqual(converging(pods, 1_000), [host(4)]);
    assert.deepEqual(chosen(pods, 1_000), new Set([host(1), host(2), host(3)]));
    assert.deepEqual(chosen(pods, 1_000 + WINDOW_MS - 1).has(host(4)), false);
    assert.deepEqual(converging(pods, 1_000 + WINDOW_MS), []);
    assert.ok(chosen(pods, 1_000 + WINDOW_MS).has(host(4)), 'eligible once no Envoy can hold the old set');
  });

  it('a response served by the new pod is evidence that Envoy has it: it may take sessions at once', () => {
    const pods = serverPods();
    pods.update(snapshot([1, 2]), 0);
    pods.update(snapshot([1, 2, 3]), 10);
    pods.observeServed(host(9)); // not a pod of this server: ignored
    assert.ok(!chosen(pods, 20).has(host(3)));
    pods.observeServed(host(3));
    assert.ok(chosen(pods, 20).has(host(3)));
    assert.deepEqual(converging(pods, 20), []);
  });

  it('keys stay right under every set of the window, including the one a lagging Envoy holds', () => {
    const pods = serverPods();
    const sets = [[1, 2, 3], [1, 2, 3, 4, 5, 6], [1, 2, 4, 5, 6], [1, 4, 5, 6]];
    sets.forEach((s, i) => pods.update(snapshot(s), i * 100));
    const lbs = sets.map((s) => EndpointSet.build(s.map(host).sort(), { policy: 'ring_hash' }, xxh));
    for (const h of [1, 4, 5, 6].map(host)) {
      const key = pods.headerValueFor(h)!;
      for (const set of lbs) if (set.hosts.has(h)) assert.equal(set.lb?.pick(headerPolicyHash([key], xxh) ?? 0n), h, `${h} under ${[...set.hosts].join(',')}`);
    }
  });

  it('a removed pod is gone at once (its sessions end), however long Envoy may still hold it', () => {
    const pods = serverPods();
    pods.update(snapshot([1, 2, 3]), 0);
    pods.update(snapshot([1, 2]), 10);
    assert.equal(pods.lossOf(host(3), 20), 'pod_gone');
    assert.ok(!chosen(pods, 20).has(host(3)));
  });

  it('window 0: Envoy is never behind, a new pod is eligible at once', () => {
    const pods = serverPods(undefined, 0);
    pods.update(snapshot([1, 2]), 0);
    pods.update(snapshot([1, 2, 3]), 10);
    assert.ok(chosen(pods, 10).has(host(3)));
  });

  it(`a flapping endpoint keeps at most ${MAX_WINDOW_SETS} distinct earlier sets, and key builds stay window-safe`, () => {
    const reports: number[] = [];
    const pods = serverPods((u) => reports.push(u.length));
    // Pod 1..3 stay; pods 10..60 come and go one by one: each update is a new distinct set.
    for (let i = 0; i < 3 * MAX_WINDOW_SETS; i++) pods.update(snapshot([1, 2, 3, 10 + (i % 50)]), i);
    assert.equal(reports.length, 3 * MAX_WINDOW_SETS);
    assert.ok(reports.every((n) => n === 0), 'every key build found window-safe keys');
    // Flapping between the same two sets does not grow the window either.
    for (let i = 0; i < 100; i++) pods.update(snapshot(i % 2 ? [1, 2] : [1, 2, 3]), 1_000 + i);
    assert.ok(pods.headerValueFor(host(1)));
  });
});
