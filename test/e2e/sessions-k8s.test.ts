// Session pinning with endpoints from Kubernetes, end to end: real SDK clients → envoy-sim (ring hash
// on x-mcp-affinity) → mcpgw watching a fake API server's EndpointSlices and Pods → real SDK pods.
// envoy-sim's cluster follows the same slice changes as istiod would program them. Each change is made
// between rounds of calls: istiod and mcpgw's watch see a slice change at slightly different moments,
// a window no test can close (docs/operations.md).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { McpPod } from '../fixtures/index.js';
import { AFFINITY, pinningConfig } from './pinning.js';
import { FakeMesh, NS, SERVICE, SessionLedger, adminPods, untilAdminPod, type TrackedSession } from './mesh.js';
import { startStack, type Stack } from './stack.js';

describe('session pinning with Kubernetes endpoints (hash mode, ring hash)', () => {
  let mesh: FakeMesh;
  let stack: Stack;
  let ledger: SessionLedger;
  /** Pods in the EndpointSlice, in slice order. */
  let members: string[];
  const sessions: TrackedSession[] = [];

  /** Slice + Pods to the fake API server, the same endpoint set to envoy-sim (istiod's EDS). */
  function publish(): void {
    mesh.publish(members);
    const eds = mesh.eds(members);
    stack.sim.setEndpoints('mcp', eds.healthy, { draining: eds.draining });
  }

  const podNamed = (name: string) => stack.pods.find((p) => p.name === name) as McpPod;

  /** Every lost session's call is answered 404 by mcpgw itself (a local reply: no upstream at all). */
  async function expectAllLost(lost: TrackedSession[]): Promise<void> {
    const from = stack.sim.log.length;
    for (const s of lost) await ledger.expectLost(s);
    const posts = stack.sim.log.slice(from).filter((e) => e.method === 'POST');
    assert.equal(posts.length, lost.length);
    for (const e of posts) {
      assert.equal(e.status, 404);
      assert.equal(e.upstream, undefined, 'never forwarded to any pod');
    }
  }
  const live = () => sessions.filter((s) => members.includes(s.pod) && mesh.specs.get(s.pod)?.state === 'ready');

  before(async () => {
    mesh = await FakeMesh.start();
    const pods = [await mesh.startPod('pod-a'), await mesh.startPod('pod-b'), await mesh.startPod('pod-c')];
    members = ['pod-a', 'pod-b', 'pod-c'];
    mesh.publish(members);
    stack = await startStack({
      pods: [],
      // envoy-sim gets each change at the moment mcpgw does: no convergence window (convergence.test.ts has the lag).
      config: pinningConfig(null, { server: { endpoints: { kubernetes: { namespace: NS, service: SERVICE } }, affinity: { convergenceSeconds: 0 } } }),
      service: { kubeConfigFor: () => mesh.kube.kubeConfig() },
      cluster: { lb: 'ring_hash', hashHeader: AFFINITY, endpoints: pods.map((p) => p.hostKey) },
    });
    stack.pods.push(...pods);
    ledger = new SessionLedger(() => stack.url);
    for (const p of pods) await untilAdminPod(stack, p.hostKey, (a) => a?.inLoadBalancer === true, 'in the LB');
  });
  after(async () => {
    await ledger?.closeAll();
    await stack?.close();
    await mesh?.close();
  });

  it('3 pods: new sessions spread over every pod and each call stays on its pod', async () => {
    for (let i = 0; i < 12; i++) sessions.push(await ledger.start());
    await Promise.all(sessions.map((s) => ledger.call(s, 2)));
    const per = new Map<string, number>();
    for (const s of sessions) per.set(s.pod, (per.get(s.pod) ?? 0) + 1);
    assert.deepEqual([...per.keys()].sort(), ['pod-a', 'pod-b', 'pod-c'], 'fewest-live placement uses every pod');
  });

  it('scale-out: a 4th pod joins; no existing session moves; new sessions reach the new pod', async () => {
    const d = await mesh.startPod('pod-d');
    stack.pods.push(d);
    members = [...members, 'pod-d'];
    publish();
    await untilAdminPod(stack, d.hostKey, (a) => a?.inLoadBalancer === true, 'pod-d in the LB');
    await Promise.all(sessions.map((s) => ledger.call(s, 3)));
    const fresh: TrackedSession[] = [];
    for (let i = 0; i < 4; i++) fresh.push(await ledger.start());
    assert.ok(fresh.some((s) => s.pod === 'pod-d'), `new sessions reach pod-d: ${fresh.map((s) => s.pod).join(', ')}`);
    // The least-loaded pod is the new one: the first new session goes there.
    assert.equal(fresh[0]?.pod, 'pod-d');
    sessions.push(...fresh);
    await Promise.all(sessions.map((s) => ledger.call(s, 1)));
    const initOnD = stack.sim.log.filter((e) => e.upstream === d.hostKey && e.upstreamHeaders?.['mcp-session-id'] === undefined && e.method === 'POST');
    assert.ok(initOnD.length >= 1, 'envoy-sim routed initialize requests to pod-d');
  });

  it('pod removal: its sessions get 404, re-initialize onto another pod and stay there; other sessions are untouched', async () => {
    const b = podNamed('pod-b');
    const onB = sessions.filter((s) => s.pod === 'pod-b');
    assert.ok(onB.length > 0, 'pod-b holds sessions');
    members = members.filter((m) => m !== 'pod-b');
    publish();
    await untilAdminPod(stack, b.hostKey, (a) => a === undefined || !a.inLoadBalancer, 'pod-b gone');
    const bRequests = b.requests.length;

    await expectAllLost(onB);
    for (const s of onB) {
      const again = await ledger.reinitialize(s);
      assert.notEqual(again.pod, 'pod-b');
      sessions.splice(sessions.indexOf(s), 1, again);
    }
    await Promise.all(sessions.map((s) => ledger.call(s, 3)));
    assert.equal(b.requests.length, bRequests, 'nothing reached the removed pod');
    const pods = await adminPods(stack);
    assert.equal(pods.find((p) => p.host === b.hostKey)?.liveSessions ?? 0, 0, 'no live sessions left on pod-b');
  });

  it('drain by annotation mcpgw.io/drain: no new sessions there; its sessions continue; lifting it lets sessions back', async () => {
    const a = podNamed('pod-a');
    const onA = sessions.filter((s) => s.pod === 'pod-a');
    assert.ok(onA.length > 0);
    mesh.specs.get('pod-a')!.drain = true;
    publish();
    await untilAdminPod(stack, a.hostKey, (p) => p?.drainSource === 'annotation' && p.inLoadBalancer, 'pod-a draining by annotation');
    const fresh: TrackedSession[] = [];
    for (let i = 0; i < 8; i++) fresh.push(await ledger.start());
    assert.ok(fresh.every((s) => s.pod !== 'pod-a'), `no new session on the draining pod: ${fresh.map((s) => s.pod).join(', ')}`);
    await Promise.all(onA.map((s) => ledger.call(s, 3)));
    sessions.push(...fresh);

    mesh.specs.get('pod-a')!.drain = false;
    publish();
    await untilAdminPod(stack, a.hostKey, (p) => p !== undefined && p.drainingSince === undefined, 'pod-a no longer draining');
    const after: TrackedSession[] = [];
    for (let i = 0; i < 3; i++) after.push(await ledger.start());
    assert.ok(after.some((s) => s.pod === 'pod-a'), 'the least-loaded pod takes sessions again');
    sessions.push(...after);
  });

  it('a not-ready pod leaves the LB (Envoy and mirror): its sessions get 404, never another pod', async () => {
    const c = podNamed('pod-c');
    const onC = sessions.filter((s) => s.pod === 'pod-c');
    assert.ok(onC.length > 0);
    mesh.specs.get('pod-c')!.state = 'not-ready';
    publish();
    await untilAdminPod(stack, c.hostKey, (p) => p?.ready === false && !p.inLoadBalancer, 'pod-c not ready');
    const before = c.requests.length;
    await expectAllLost(onC);
    await expectAllLost(onC); // and stays lost
    assert.equal(c.requests.length, before, 'mcpgw answered; the not-ready pod got nothing');
    await Promise.all(live().map((s) => ledger.call(s, 2)));
    for (const s of onC) sessions.splice(sessions.indexOf(s), 1);
  });

  it('a terminating pod (no persistent-session label) leaves the LB at once: its sessions get 404, never another pod', async () => {
    const d = podNamed('pod-d');
    const onD = sessions.filter((s) => s.pod === 'pod-d');
    assert.ok(onD.length > 0);
    mesh.specs.get('pod-d')!.state = 'terminating';
    publish();
    await untilAdminPod(stack, d.hostKey, (p) => p?.terminating === true && !p.inLoadBalancer, 'pod-d terminating');
    const before = d.requests.length;
    await expectAllLost(onD);
    assert.equal(d.requests.length, before);
    for (const s of onD) sessions.splice(sessions.indexOf(s), 1);
    // Only pod-a is left in the LB; its sessions still work and new ones land there.
    await Promise.all(live().map((s) => ledger.call(s, 2)));
    const last = await ledger.start();
    assert.equal(last.pod, 'pod-a');
  });

  it('no call of any session was ever served by a wrong pod; the mirror never disagreed with the sim', async () => {
    ledger.assertNeverWrongPod(stack.pods, stack);
    const corrections = await stack.gateway.metrics.pinningCorrections.get();
    assert.equal(corrections.values.reduce((n, v) => n + v.value, 0), 0, 'every new session was served by the pod mcpgw chose');
  });
});
