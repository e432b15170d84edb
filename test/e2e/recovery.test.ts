// Session recovery (servers[].recovery: reinitialize), end to end: real SDK clients → envoy-sim →
// mcpgw → real SDK pods whose session state the handshake rebuilds. A session whose pod dies, or
// drains, moves to another pod without its client noticing: same client-visible id, no error, no
// re-initialize; the pod sees the id of the handshake mcpgw replayed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, type McpPod } from '../fixtures/index.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { adminPods, startMeshStack, until, untilAdminPod, type MeshStack, type MeshStackOptions } from './mesh.js';
import { podOf } from './pinning.js';

type Client = Awaited<ReturnType<typeof connectClient>>;

interface Tracked extends Client {
  /** The id the client holds: it must never change. */
  id: string;
  pod: string;
}

const RECOVERY = { recovery: { mode: 'reinitialize', maxPerSession: 2 }, affinity: { convergenceSeconds: 0 } };

async function open(m: MeshStack, n: number): Promise<Tracked[]> {
  const out: Tracked[] = [];
  for (let i = 0; i < n; i++) {
    const c = await connectClient(m.stack.url);
    const r = await podOf(c.client);
    assert.equal(r.session, c.transport.sessionId);
    out.push({ ...c, id: r.session, pod: r.pod });
  }
  return out;
}

/** Initializes the pods received that did not come from a client (mcpgw's replayed handshakes). */
const initializesOn = (p: McpPod) => p.requests.filter((q) => q.method === 'POST' && q.headers['mcp-session-id'] === undefined).length;

async function killAndRemove(m: MeshStack, name: string): Promise<void> {
  await m.pod(name).close();
  m.mesh.specs.get(name)!.state = 'not-ready';
  m.publish();
  await untilAdminPod(m.stack, m.pod(name).hostKey, (a) => a === undefined || !a.inLoadBalancer, `${name} gone`);
}

const recoveries = async (m: MeshStack, result = 'ok') =>
  (await Promise.all(m.stack.gateways.map(async (g) => (await g.metrics.sessionRecoveries.get()).values.filter((v) => v.labels.result === result).reduce((n, v) => n + v.value, 0)))).reduce((a, b) => a + b, 0);

/** Registers the suite's before / after hooks: a mesh stack with `n` open sessions, closed afterwards. */
function withSessions(options: () => MeshStackOptions, n: number): { m: MeshStack; sessions: Tracked[] } {
  const f = { sessions: [] } as unknown as { m: MeshStack; sessions: Tracked[] };
  before(async () => {
    f.m = await startMeshStack(options());
    f.sessions = await open(f.m, n);
  });
  after(async () => {
    await Promise.all(f.sessions.map((s) => s.client.close().catch(() => undefined)));
    await f.m?.stack.close();
    await f.m?.mesh.close();
  });
  return f;
}

describe('session recovery: a killed pod’s sessions continue on other pods', () => {
  const f = withSessions(() => ({ lb: 'ring_hash', lagsMs: [0], podNames: ['pod-a', 'pod-b', 'pod-c'], server: RECOVERY }), 48);

  it('every client’s next call succeeds on another pod with its own session id; the pods see the new ids', async () => {
    const { m, sessions } = f;
    const onA = sessions.filter((s) => s.pod === 'pod-a');
    assert.ok(onA.length >= 10, `pod-a holds ${onA.length} sessions`);
    await killAndRemove(m, 'pod-a');
    const before = new Map(m.stack.pods.map((p) => [p.name, initializesOn(p)]));

    const answers = await Promise.all(sessions.map(async (s) => ({ s, r: await podOf(s.client) })));
    for (const { s, r } of answers) {
      assert.equal(s.transport.sessionId, s.id, 'the client-visible id never changes');
      if (s.pod === 'pod-a') {
        assert.notEqual(r.pod, 'pod-a');
        assert.notEqual(r.session, s.id, 'the new pod knows the session by the id of the replayed handshake');
      } else assert.deepEqual(r, { pod: s.pod, session: s.id }, 'sessions of live pods are untouched');
    }
    const replayed = m.stack.pods.reduce((n, p) => n + initializesOn(p) - (before.get(p.name) ?? 0), 0);
    assert.equal(replayed, onA.length, 'one handshake per moved session');
    assert.equal(await recoveries(m), onA.length);

    // Moved sessions stay on their new pod, and keep their id.
    const moved = new Map(answers.filter(({ s }) => s.pod === 'pod-a').map(({ s, r }) => [s.id, r]));
    for (const s of onA) assert.deepEqual(await podOf(s.client), moved.get(s.id));
  });

  it('DELETE of a moved session ends it on its new pod', async () => {
    const { m, sessions } = f;
    const s = sessions.find((x) => x.pod === 'pod-a')!;
    await s.transport.terminateSession();
    await until(async () => (await adminPods(m.stack)).reduce((n, p) => n + p.liveSessions, 0) === sessions.length - 1, 'the binding ended');
    sessions.splice(sessions.indexOf(s), 1);
  });
});

describe('session recovery: draining migrates sessions before the deadline', () => {
  const f = withSessions(() => ({ lb: 'maglev', lagsMs: [0], podNames: ['pod-a', 'pod-b'], server: { ...RECOVERY, affinity: { loadBalancer: 'maglev', convergenceSeconds: 0 } } }), 12);

  it('every session of the drained pod moves at its next request; the pod ends with zero live sessions and was told to forget them', async () => {
    const { m, sessions } = f;
    const b = m.pod('pod-b');
    const onB = sessions.filter((s) => s.pod === 'pod-b');
    assert.ok(onB.length > 0);
    m.mesh.specs.get('pod-b')!.drain = true;
    m.publish();
    await untilAdminPod(m.stack, b.hostKey, (p) => p?.drainSource === 'annotation', 'pod-b draining');
    for (const s of sessions) {
      const r = await podOf(s.client);
      assert.equal(r.pod, 'pod-a');
      assert.equal(s.transport.sessionId, s.id);
    }
    const pods = await adminPods(m.stack);
    assert.equal(pods.find((p) => p.host === b.hostKey)?.liveSessions ?? 0, 0, 'nothing left on the drained pod');
    await until(() => b.requests.filter((q) => q.method === 'DELETE').length === onB.length, 'the drained pod got a DELETE per moved session');
  });
});

describe('session recovery: two replicas on Redis, one session hit through both', () => {
  let redis: RedisProcess;
  before(async () => (redis = await startRedis()));
  const f = withSessions(
    () => ({ lb: 'ring_hash', lagsMs: [0], podNames: ['pod-a', 'pod-b'], server: RECOVERY, top: { store: { kind: 'redis', url: redis.url, keyPrefix: `rec${process.pid}:` } }, replicas: 2 }),
    1,
  );
  after(async () => redis?.stop());

  it('concurrent requests through both replicas trigger one handshake and all succeed on the new pod', async () => {
    const { m } = f;
    const s = f.sessions[0]!;
    const other = s.pod === 'pod-a' ? m.pod('pod-b') : m.pod('pod-a');
    await killAndRemove(m, s.pod);
    const before = initializesOn(other);
    // envoy-sim round-robins ext_proc streams over the replicas: these are decided by both.
    const answers = await Promise.all(Array.from({ length: 8 }, () => podOf(s.client)));
    for (const r of answers) assert.equal(r.pod, other.name);
    assert.equal(new Set(answers.map((r) => r.session)).size, 1, 'one upstream session');
    assert.equal(initializesOn(other) - before, 1, 'one handshake across replicas');
    assert.equal(s.transport.sessionId, s.id);
  });
});

describe('session recovery: limits and failures end in 404 with the reason', () => {
  const f = withSessions(() => ({ lb: 'ring_hash', lagsMs: [0], podNames: ['pod-a', 'pod-b', 'pod-c'], server: { ...RECOVERY, recovery: { mode: 'reinitialize', maxPerSession: 1 } } }), 1);

  it('the first loss is recovered; past maxPerSession the client gets 404 and the log says why', async () => {
    const { m } = f;
    const s = f.sessions[0]!;
    await killAndRemove(m, s.pod);
    const moved = await podOf(s.client);
    await killAndRemove(m, moved.pod);
    await assert.rejects(podOf(s.client), (e: { code?: number }) => e.code === 404);
    assert.equal(await recoveries(m, 'limit'), 1);
    assert.ok(m.stack.logs.some((l) => l.includes('session not recovered') && l.includes('"result":"limit"')), 'a log line names the reason');
  });
});

describe('session recovery: a drain with nowhere to move keeps sessions on their pod', () => {
  const f = withSessions(() => ({ lb: 'ring_hash', lagsMs: [0], podNames: ['pod-a', 'pod-b'], server: RECOVERY }), 4);

  it('every session keeps working on its draining pod; a failed move is not retried on every request', async () => {
    const { m, sessions } = f;
    for (const name of ['pod-a', 'pod-b']) m.mesh.specs.get(name)!.drain = true;
    m.publish();
    for (const name of ['pod-a', 'pod-b']) await untilAdminPod(m.stack, m.pod(name).hostKey, (p) => p?.drainSource === 'annotation', `${name} draining`);
    for (let round = 0; round < 3; round++) {
      for (const s of sessions) assert.deepEqual(await podOf(s.client), { pod: s.pod, session: s.id });
    }
    assert.equal(await recoveries(m, 'no_pod'), sessions.length, 'one failed move per session, not one per request');
  });
});
