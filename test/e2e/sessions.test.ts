// Session pinning end to end: real SDK clients → envoy-sim (ring hash / Maglev on x-mcp-affinity) →
// mcpgw → real SDK pods. Every call of a session must be served by the pod that holds it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connectClient, connectLegacySseClient, connectModernClient, rawPost, startMcpPod, startModernPod } from '../fixtures/index.js';
import { ADMIN_TOKEN, AFFINITY, pinningConfig, podOf } from './pinning.js';
import { startStack, type Stack } from './stack.js';

const post = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };

for (const lb of ['ring_hash', 'maglev'] as const) {
  describe(`session pinning (${lb})`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({
        configFor: (pods) => pinningConfig(pods, { server: { affinity: { loadBalancer: lb } } }),
        cluster: { lb, hashHeader: AFFINITY },
      });
    });
    after(() => stack.close());

    it('many concurrent sessions: every call lands on the pod that answered initialize; new sessions spread', async () => {
      const sessions = lb === 'ring_hash' ? 200 : 60;
      const calls = lb === 'ring_hash' ? 20 : 8;
      const perPod = new Map<string, number>();
      await Promise.all(
        Array.from({ length: sessions }, async () => {
          const { client, transport } = await connectClient(stack.url);
          const first = await podOf(client);
          assert.equal(first.session, transport.sessionId, 'the pod that serves calls is the one that created the session');
          perPod.set(first.pod, (perPod.get(first.pod) ?? 0) + 1);
          for (let i = 1; i < calls; i++) assert.equal((await podOf(client)).pod, first.pod);
          await client.close();
        }),
      );
      const share = sessions / stack.pods.length;
      for (const p of stack.pods) assert.ok((perPod.get(p.name) ?? 0) <= 2 * share, `${p.name} got ${perPod.get(p.name)} of ${sessions}`);
      assert.equal(perPod.size, stack.pods.length, 'every pod got sessions');
    });

    it('a client-forged affinity header never moves a session', async () => {
      const { client } = await connectClient(stack.url, { headers: { [AFFINITY]: randomUUID() } });
      const home = await podOf(client);
      for (let i = 0; i < 10; i++) assert.equal((await podOf(client)).pod, home.pod);
      await client.close();
    });
  });
}

describe('session lifecycle', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      pods: [{ name: 'pod-a', legacySse: true }, { name: 'pod-b', legacySse: true }, { name: 'pod-c', legacySse: true, unknownSession: 'bad-request' }],
      configFor: (pods) => pinningConfig(pods),
      cluster: { lb: 'ring_hash', hashHeader: AFFINITY },
    });
  });
  after(() => stack.close());

  it('an unknown session id is 404 with -32001 and never reaches a pod', async () => {
    const before = stack.pods.reduce((n, p) => n + p.requests.length, 0);
    const r = await rawPost(stack.url, JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }), { ...post, 'mcp-session-id': 'no-such-session' });
    assert.equal(r.status, 404);
    assert.deepEqual(JSON.parse(r.body), { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: 9 });
    assert.equal(stack.pods.reduce((n, p) => n + p.requests.length, 0), before);
  });

  it('DELETE ends the binding after the upstream answers: the id is then unknown', async () => {
    const { client, transport } = await connectClient(stack.url);
    await podOf(client);
    const id = transport.sessionId as string;
    await transport.terminateSession();
    const r = await rawPost(stack.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), { ...post, 'mcp-session-id': id });
    assert.equal(r.status, 404);
  });

  it('the GET stream of a session is routed to its pod', async () => {
    const { client, transport } = await connectClient(stack.url);
    const home = await podOf(client);
    const id = transport.sessionId;
    const pod = stack.pods.find((p) => p.name === home.pod);
    // The SDK client opens its standalone GET stream after initialize.
    for (let i = 0; i < 50 && !pod?.requests.some((r) => r.method === 'GET' && r.headers['mcp-session-id'] === id); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(pod?.requests.some((r) => r.method === 'GET' && r.headers['mcp-session-id'] === id), 'GET reached the session pod');
    for (const other of stack.pods.filter((p) => p !== pod)) assert.ok(!other.requests.some((r) => r.headers['mcp-session-id'] === id));
    await client.close();
  });

  it('a pod that forgot the session and answers 400 (SDK example style) gives the client 404, and the binding is gone', async () => {
    const podC = stack.pods[2];
    assert.ok(podC);
    let sessionId: string | undefined;
    for (let i = 0; i < 40 && !sessionId; i++) {
      const { client, transport } = await connectClient(stack.url);
      if ((await podOf(client)).pod === 'pod-c') sessionId = transport.sessionId;
      else await client.close();
    }
    assert.ok(sessionId, 'a session on pod-c');
    // Restart pod-c in place: same address, sessions lost.
    const port = Number(podC.hostKey.split(':')[1]);
    await podC.close();
    stack.pods[2] = await startMcpPod({ name: 'pod-c', port, legacySse: true, unknownSession: 'bad-request' });
    const body = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' });
    const first = await rawPost(stack.url, body, { ...post, 'mcp-session-id': sessionId });
    assert.equal(first.status, 404);
    assert.equal(JSON.parse(first.body).error.code, -32001);
    const podRequests = stack.pods[2]?.requests.length;
    const second = await rawPost(stack.url, body, { ...post, 'mcp-session-id': sessionId });
    assert.equal(second.status, 404);
    assert.equal(stack.pods[2]?.requests.length, podRequests, 'the binding is gone: mcpgw answers without asking the pod');
  });

  it('legacy HTTP+SSE (2024-11-05): the POSTs of a stream reach the pod holding it', async () => {
    for (let i = 0; i < 4; i++) {
      const { client } = await connectLegacySseClient(`${stack.url.replace(/\/mcp$/, '')}/sse`);
      const home = await podOf(client);
      for (let j = 0; j < 5; j++) assert.equal((await podOf(client)).pod, home.pod);
      await client.close();
    }
  });

  it('admin: drain a pod (no new sessions, existing continue), list pods and sessions', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const { client } = await connectClient(stack.url);
    const home = (await podOf(client)).pod;
    const host = stack.pods.find((p) => p.name === home)?.hostKey as string;
    assert.equal((await fetch(`${stack.httpBase}/admin/pods/${host}/drain`, { method: 'POST' })).status, 401);
    assert.equal((await fetch(`${stack.httpBase}/admin/pods/${host}/drain`, { method: 'POST', headers: auth })).status, 202);
    for (let i = 0; i < 12; i++) {
      const fresh = await connectClient(stack.url);
      assert.notEqual((await podOf(fresh.client)).pod, home, 'no new session on a draining pod');
      await fresh.client.close();
    }
    assert.equal((await podOf(client)).pod, home, 'existing sessions keep their pod');
    const pods = (await (await fetch(`${stack.httpBase}/admin/pods`, { headers: auth })).json()) as { servers: Array<{ pods: Array<{ host: string; liveSessions: number; drainingSince?: number }> }> };
    const drained = pods.servers[0]?.pods.find((p) => p.host === host);
    assert.ok(drained?.drainingSince && drained.liveSessions >= 1);
    const list = (await (await fetch(`${stack.httpBase}/admin/sessions?pod=${host}&limit=2`, { headers: auth })).json()) as { items: Array<{ pod: string }> };
    assert.ok(list.items.every((s) => s.pod === host));
    assert.equal((await fetch(`${stack.httpBase}/admin/pods/${host}/drain`, { method: 'DELETE', headers: auth })).status, 200);
    await client.close();
  });
});

describe('2026-07-28 stateless clients', () => {
  let stack: Stack;
  before(async () => {
    const pods = await Promise.all(['m-a', 'm-b'].map((name) => startModernPod({ name })));
    stack = await startStack({ pods: [], configFor: () => pinningConfig(pods), cluster: { lb: 'ring_hash', hashHeader: AFFINITY, endpoints: pods.map((p) => p.hostKey) } });
    stack.pods.push(...pods);
  });
  after(() => stack.close());

  it('requests balance normally (no pinning) and policy still applies', async () => {
    const { client } = await connectModernClient(stack.url);
    const served = new Set<string>();
    for (let i = 0; i < 20; i++) served.add((await podOf(client)).pod);
    assert.equal(served.size, 2, 'no session: requests spread over pods');
    await assert.rejects(client.callTool({ name: 'delete_everything', arguments: {} }));
    const forwarded = stack.sim.log.filter((e) => e.upstream && e.method === 'POST');
    assert.ok(forwarded.every((e) => e.upstreamHeaders?.[AFFINITY] === undefined), 'no affinity header for stateless requests');
    await client.close();
  });
});
