// Pinning while Envoy catches up (docs/operations.md, "Convergence"): mcpgw sees each EndpointSlice
// change at once; envoy-sim proxies get it later (istiod's EDS push), one proxy or two with different
// lags. Under continuous load of stateful SDK sessions, pods go 3 → 6 → 4 (additions, a drain, a
// killed pod, a deleted pod). No call of a session may reach another pod, no healthy session may
// end, every session of a removed pod gets 404 and starts again on a live pod.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawPost } from '../fixtures/index.js';
import { SessionLoad } from './convergenceLoad.js';
import { podOf } from './pinning.js';
import { SessionLedger, startMeshStack, until, untilAdminPod, type MeshStack } from './mesh.js';
import type { Stack } from './stack.js';

const ROWS = [
  { lb: 'ring_hash', lagsMs: [500], windowSeconds: 2 },
  { lb: 'maglev', lagsMs: [500], windowSeconds: 2 },
  { lb: 'ring_hash', lagsMs: [500, 5000], windowSeconds: 8 },
  { lb: 'maglev', lagsMs: [500, 5000], windowSeconds: 8 },
] as const;

const metricTotal = async (stack: Stack, name: 'sessionMisroutes' | 'affinityKeysUnconverged') => (await stack.gateway.metrics[name].get()).values.reduce((n, v) => n + v.value, 0);

for (const row of ROWS) {
  describe(`convergence: ${row.lb}, ${row.lagsMs.length} prox${row.lagsMs.length > 1 ? 'ies' : 'y'} ${row.lagsMs.join(' ms / ')} ms behind`, () => {
    let m: MeshStack;
    let load: SessionLoad;
    before(async () => {
      m = await startMeshStack({ lb: row.lb, lagsMs: row.lagsMs, server: { affinity: { loadBalancer: row.lb, convergenceSeconds: row.windowSeconds } }, podNames: ['pod-a', 'pod-b', 'pod-c'] });
      load = new SessionLoad(() => m.stack.sims.map((s) => `${s.url}/mcp`));
    });
    after(async () => {
      await load?.stop();
      await m?.stack.close();
      await m?.mesh.close();
    });

    it('3 → 6 → 4 pods under load: no call reaches a wrong pod, no healthy session ends, removed pods’ sessions start again on live pods', async () => {
      const { mesh, stack } = m;
      await load.start(6);
      await load.progress(40, 'steady load on 3 pods');

      for (const name of ['pod-d', 'pod-e', 'pod-f']) {
        const p = await mesh.startPod(name);
        stack.pods.push(p);
        m.members.push(name);
        m.publish();
        await untilAdminPod(stack, p.hostKey, (a) => a?.inLoadBalancer === true, `${name} in mcpgw's view`);
        await load.progress(20, `load after adding ${name}`);
      }

      mesh.specs.get('pod-a')!.drain = true;
      m.publish();
      await untilAdminPod(stack, m.pod('pod-a').hostKey, (a) => a?.drainSource === 'annotation', 'pod-a draining');
      await load.progress(20, 'load after draining pod-a');

      // Killed: Envoy cannot connect (503) while the pod is still in every view; the session survives that.
      const live = (pod: string) => load.sessions.filter((s) => s.pod === pod && s.lostAt === undefined);
      assert.ok(live('pod-b').length > 0, 'pod-b holds sessions');
      await m.pod('pod-b').close();
      await until(() => live('pod-b').some((s) => s.unavailable >= 2), 'a session of the killed pod got 503 twice and kept its session');
      const bRemovedAt = performance.now();
      mesh.specs.get('pod-b')!.state = 'not-ready';
      m.publish();
      await untilAdminPod(stack, m.pod('pod-b').hostKey, (a) => a === undefined || !a.inLoadBalancer, 'pod-b gone');
      await until(() => live('pod-b').length === 0, 'every session of pod-b got 404');
      await load.progress(20, 'load after losing pod-b');

      // Deleted: the pod still runs, and a lagging proxy still routes to it.
      assert.ok(live('pod-c').length > 0, 'pod-c holds sessions');
      const cRemovedAt = performance.now();
      m.members = m.members.filter((n) => n !== 'pod-c');
      m.publish();
      await untilAdminPod(stack, m.pod('pod-c').hostKey, (a) => a === undefined, 'pod-c gone');
      await until(() => live('pod-c').length === 0, 'every session of pod-c got 404');
      await load.progress(20, 'load after deleting pod-c');

      await Promise.all(stack.sims.map((s) => s.edsApplied()));
      // With pod-a draining and pod-b, pod-c gone, new sessions wait (503) until the new pods are in
      // every endpoint set of the window: then every client holds a session again.
      await load.untilAllHoldSessions('every client started again');
      await load.progress(30, 'load once every proxy has caught up');
      await load.stop();
      assert.deepEqual(load.failures, []);

      // What every pod received: each session's requests reached one pod only, its own.
      const podsOf = new Map<string, Set<string>>();
      for (const p of stack.pods) {
        for (const r of p.requests) {
          const id = r.headers['mcp-session-id'];
          if (typeof id === 'string') podsOf.set(id, (podsOf.get(id) ?? new Set()).add(p.name));
        }
      }
      for (const [id, pods] of podsOf) {
        assert.equal(pods.size, 1, `session ${id} reached ${[...pods].join(', ')}`);
        const owner = load.owner.get(id);
        if (owner) assert.ok(pods.has(owner), `session ${id} of ${owner} reached ${[...pods].join(', ')}`);
      }
      assert.equal(await metricTotal(stack, 'sessionMisroutes'), 0, 'no response came from a wrong pod');
      assert.equal(await metricTotal(stack, 'affinityKeysUnconverged'), 0, 'every key was right under the whole window');

      // Only the removed pods' sessions ended; none started on a pod after mcpgw saw it go (its first 404).
      const removed = new Set(['pod-b', 'pod-c']);
      const goneAt = (pod: string) => Math.min(...load.sessions.filter((s) => s.pod === pod && s.lostAt !== undefined).map((s) => s.lostAt as number));
      const [bGoneAt, cGoneAt] = [goneAt('pod-b'), goneAt('pod-c')];
      const removedAt = new Map([['pod-b', bRemovedAt], ['pod-c', cRemovedAt]]);
      for (const s of load.sessions) {
        if (s.lostAt !== undefined) assert.ok(s.lostAt > (removedAt.get(s.pod) ?? Infinity), `healthy session ${s.id} on ${s.pod} ended: ${s.lostWith}`);
        if (s.startedAt > bGoneAt) assert.notEqual(s.pod, 'pod-b', `session ${s.id} initialized on pod-b after it left`);
        if (s.startedAt > cGoneAt) assert.notEqual(s.pod, 'pod-c', `session ${s.id} initialized on pod-c after it left`);
      }
      for (const l of load.lostUnnamed) {
        const pod = [...(podsOf.get(l.id) ?? [])][0];
        assert.ok(pod && removed.has(pod), `session ${l.id} on ${pod} ended before its first call`);
      }
      const lost = load.sessions.filter((s) => s.lostAt !== undefined);
      assert.ok(lost.some((s) => s.pod === 'pod-b') && lost.some((s) => s.pod === 'pod-c'), 'both removed pods had sessions that were lost');
      const startedLater = load.sessions.filter((s) => s.startedAt > cGoneAt);
      assert.ok(startedLater.length > 0, `clients started again after pod-c left (${load.sessions.length} sessions, ${lost.length} lost)`);
      for (const s of startedLater) assert.ok(!removed.has(s.pod), `session ${s.id} started again on ${s.pod}`);
    });
  });
}

describe('convergence: a wrong pod saying "session not found" is a misroute, never the end of the session', () => {
  let m: MeshStack;
  let ledger: SessionLedger;
  before(async () => {
    m = await startMeshStack({ lb: 'ring_hash', lagsMs: [0], server: { affinity: { convergenceSeconds: 30 } }, podNames: ['pod-a', 'pod-b'] });
    ledger = new SessionLedger(() => m.stack.url);
  });
  after(async () => {
    await ledger?.closeAll();
    await m?.stack.close();
    await m?.mesh.close();
  });

  it('503 + Retry-After + a JSON-RPC error while Envoy lacks the pod; the binding survives; the next call after convergence reaches its pod', async () => {
    const { stack } = m;
    const a = m.pod('pod-a');
    const s1 = await ledger.start();
    const s2 = await ledger.start();
    const onA = [s1, s2].find((s) => s.pod === 'pod-a');
    assert.ok(onA, 'fewest-live placement put a session on pod-a');

    // This proxy dropped pod-a (its EDS differs from mcpgw's view): the session's key hashes to pod-b.
    stack.sim.setEndpoints('mcp', [m.pod('pod-b').hostKey]);
    const r = await rawPost(stack.url, JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'whoami', arguments: {} } }), {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      'mcp-session-id': onA.id,
    });
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '1');
    const body = JSON.parse(r.body) as { id: unknown; error: { code: number; message: string } };
    assert.equal(body.id, 7);
    assert.equal(body.error.code, -31503);
    assert.match(body.error.message, /converging/);
    assert.ok(m.pod('pod-b').requests.some((q) => q.headers['mcp-session-id'] === onA.id), 'the wrong pod was asked');
    const misroutes = (await stack.gateway.metrics.sessionMisroutes.get()).values;
    assert.deepEqual(misroutes.map((v) => [v.labels.reason, v.value]), [['session_not_found', 1]]);

    // The proxy catches up: the same session works again, on its own pod.
    stack.sim.setEndpoints('mcp', [a.hostKey, m.pod('pod-b').hostKey]);
    await ledger.call(onA, 2);
    assert.equal((await podOf(onA.client)).pod, 'pod-a');
    const ended = (await stack.gateway.metrics.sessionsEnded.get()).values.reduce((n, v) => n + v.value, 0);
    assert.equal(ended, 0, 'no session ended');
  });
});
