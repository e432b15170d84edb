// Address mode end to end: mcpgw writes base64("ip:port") of the session's pod into x-mcp-affinity and
// envoy-sim's stateful_session header filter (reference/envoy.md §5.1) sends the request to exactly
// that host. The cluster balances round robin, so any request without a working override would move.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connectClient, type McpPod } from '../fixtures/index.js';
import { AFFINITY, pinningConfig, podOf } from './pinning.js';
import { FakeMesh, NS, SERVICE, SessionLedger, untilAdminPod, type TrackedSession } from './mesh.js';
import { startStack, type Stack } from './stack.js';

const b64 = (host: string) => Buffer.from(host).toString('base64');

/** Every forwarded request of a session carried its pod's address, and the sim honoured it as the override. */
function assertExactOverrides(stack: Stack, ledger: SessionLedger): void {
  const hostOf = new Map(stack.pods.map((p) => [p.name, p.hostKey]));
  let n = 0;
  for (const e of stack.sim.log) {
    const id = e.upstreamHeaders?.['mcp-session-id'];
    if (!e.upstream || typeof id !== 'string') continue;
    const home = hostOf.get(ledger.owner.get(id) ?? '');
    assert.equal(e.upstreamHeaders?.[AFFINITY], b64(home!), 'mcpgw wrote the session pod address');
    assert.equal(e.overrideHost, home, 'the stateful_session override chose the upstream');
    n++;
  }
  assert.ok(n > 0);
}

describe('address mode, static endpoints: stateful_session pins every session exactly', () => {
  let stack: Stack;
  let ledger: SessionLedger;
  before(async () => {
    stack = await startStack({
      configFor: (pods) => pinningConfig(pods, { server: { affinity: { mode: 'address' } } }),
      cluster: { lb: 'round_robin', hashHeader: AFFINITY },
      sim: { statefulSession: { header: AFFINITY } },
    });
    ledger = new SessionLedger(() => stack.url);
  });
  after(async () => {
    await ledger.closeAll();
    await stack.close();
  });

  it('30 concurrent sessions × 10 calls: every call on the pod that created the session; new sessions spread', async () => {
    const sessions = await Promise.all(Array.from({ length: 30 }, () => ledger.start()));
    await Promise.all(sessions.map((s) => ledger.call(s, 9)));
    const per = new Map<string, number>();
    for (const s of sessions) per.set(s.pod, (per.get(s.pod) ?? 0) + 1);
    assert.equal(per.size, 3, 'every pod got sessions');
    for (const [pod, n] of per) assert.ok(n <= 20, `${pod} got ${n} of 30`);
    assertExactOverrides(stack, ledger);
    ledger.assertNeverWrongPod(stack.pods, stack);
  });

  it('a client-forged address header (another pod, or garbage) never moves a session', async () => {
    const s = await ledger.start();
    const other = stack.pods.find((p) => p.name !== s.pod) as McpPod;
    for (const forged of [b64(other.hostKey), randomUUID()]) {
      const { client } = await connectClient(stack.url, { headers: { [AFFINITY]: forged } });
      const home = await podOf(client);
      for (let i = 0; i < 5; i++) assert.equal((await podOf(client)).pod, home.pod);
      await client.close();
    }
    await ledger.call(s, 3);
  });
});

describe('address mode without endpoint knowledge: Envoy picks the pod, mcpgw learns it and pins exactly', () => {
  let stack: Stack;
  let ledger: SessionLedger;
  before(async () => {
    stack = await startStack({
      configFor: () => pinningConfig(null, { server: { affinity: { mode: 'address' } } }),
      cluster: { lb: 'round_robin', hashHeader: AFFINITY },
      sim: { statefulSession: { header: AFFINITY } },
    });
    ledger = new SessionLedger(() => stack.url);
  });
  after(async () => {
    await ledger.closeAll();
    await stack.close();
  });

  it('initialize is balanced by the LB (no header); every later call carries the learned address', async () => {
    const sessions = await Promise.all(Array.from({ length: 9 }, () => ledger.start()));
    await Promise.all(sessions.map((s) => ledger.call(s, 5)));
    const inits = stack.sim.log.filter((e) => e.method === 'POST' && e.upstream && e.upstreamHeaders?.['mcp-session-id'] === undefined);
    assert.ok(inits.length >= 9 && inits.every((e) => e.upstreamHeaders?.[AFFINITY] === undefined), 'initialize carries no address');
    assert.equal(new Set(sessions.map((s) => s.pod)).size, 3, 'round robin spread the sessions');
    assertExactOverrides(stack, ledger);
  });
});

describe('address mode, Kubernetes Service with istio.io/persistent-session-header: a terminating pod keeps its sessions until the drain deadline', () => {
  const DEADLINE_SECONDS = 2;
  let mesh: FakeMesh;
  let stack: Stack;
  let ledger: SessionLedger;
  let members: string[];
  /** mcpgw's clock: frozen while a test needs "before the deadline" to hold however slow the machine is. */
  let frozenAt: number | undefined;
  const now = () => frozenAt ?? Date.now();

  function publish(): void {
    mesh.publish(members);
    const eds = mesh.eds(members);
    stack.sim.setEndpoints('mcp', eds.healthy, { draining: eds.draining });
  }

  before(async () => {
    mesh = await FakeMesh.start({ serviceLabels: { 'istio.io/persistent-session-header': AFFINITY } });
    const pods = [await mesh.startPod('pod-a'), await mesh.startPod('pod-b'), await mesh.startPod('pod-c')];
    members = ['pod-a', 'pod-b', 'pod-c'];
    mesh.publish(members);
    stack = await startStack({
      pods: [],
      config: pinningConfig(null, {
        server: { affinity: { mode: 'address' }, endpoints: { kubernetes: { namespace: NS, service: SERVICE } } },
        top: { sessions: { drainDeadlineSeconds: DEADLINE_SECONDS } },
      }),
      service: { kubeConfigFor: () => mesh.kube.kubeConfig(), now },
      // Istio's cluster for a persistent-session Service: DRAINING hosts are valid override targets.
      cluster: { lb: 'round_robin', hashHeader: AFFINITY, endpoints: pods.map((p) => p.hostKey), overrideHostStatus: ['HEALTHY', 'DRAINING', 'UNKNOWN', 'DEGRADED'] },
      sim: { statefulSession: { header: AFFINITY } },
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

  it('terminating but serving: sessions keep routing to the pod (DRAINING, by host override), no new sessions; after the deadline 404', async () => {
    const sessions: TrackedSession[] = [];
    for (let i = 0; i < 9; i++) sessions.push(await ledger.start());
    const onC = sessions.filter((s) => s.pod === 'pod-c');
    assert.ok(onC.length > 0, 'pod-c holds sessions');
    const c = stack.pods.find((p) => p.name === 'pod-c') as McpPod;

    frozenAt = Date.now();
    mesh.specs.get('pod-c')!.state = 'terminating';
    publish();
    await untilAdminPod(stack, c.hostKey, (p) => p?.terminating === true && p.inLoadBalancer && p.drainSource === 'terminating', 'pod-c terminating, still DRAINING in Envoy');
    const drainingFrom = stack.sim.log.length;

    // Before the deadline: pod-c still serves its sessions, via the override only.
    await Promise.all(sessions.map((s) => ledger.call(s, 3)));
    const fresh: TrackedSession[] = [];
    for (let i = 0; i < 6; i++) fresh.push(await ledger.start());
    assert.ok(fresh.every((s) => s.pod !== 'pod-c'), `no new session on a terminating pod: ${fresh.map((s) => s.pod).join(', ')}`);
    const toC = stack.sim.log.slice(drainingFrom).filter((e) => e.upstream === c.hostKey);
    assert.ok(toC.length >= onC.length * 3, 'pod-c kept serving');
    assert.ok(toC.every((e) => e.overrideHost === c.hostKey), 'a DRAINING pod is reached by host override only, never by the LB');

    // The deadline passes: pod-c's sessions are lost (404 from mcpgw, never another pod); the rest continue.
    frozenAt += DEADLINE_SECONDS * 1000;
    const from = stack.sim.log.length;
    for (const s of onC) await ledger.expectLost(s);
    for (const e of stack.sim.log.slice(from).filter((x) => x.method === 'POST')) {
      assert.equal(e.status, 404);
      assert.equal(e.upstream, undefined);
    }
    const others = [...sessions, ...fresh].filter((s) => s.pod !== 'pod-c');
    await Promise.all(others.map((s) => ledger.call(s, 2)));
    for (const s of onC) {
      const again = await ledger.reinitialize(s);
      assert.notEqual(again.pod, 'pod-c');
      await ledger.call(again, 2);
    }
    frozenAt = undefined;
    assertExactOverrides(stack, ledger);
    ledger.assertNeverWrongPod(stack.pods, stack);
  });
});
