// Two mcpgw replicas on one real redis-server, end to end: envoy-sim round-robins its ext_authz and
// ext_proc calls over the replicas, so consecutive requests of one session are decided by different
// replicas. Sessions stay pinned; an end on one replica reaches the other; a Redis outage follows
// store.whenUnavailable without crashing, and everything recovers when Redis is back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, rawPost, type McpPod } from '../fixtures/index.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { until, SessionLedger } from './mesh.js';
import { AFFINITY, pinningConfig } from './pinning.js';
import { startStack, type Stack } from './stack.js';

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
const initialize = (id: number) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
const ping = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' });

let prefixes = 0;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let redis: RedisProcess;

before(async () => {
  process.on('unhandledRejection', onUnhandled);
  redis = await startRedis();
});
after(async () => {
  process.off('unhandledRejection', onUnhandled);
  await redis.stop();
});

/**
 * A stack whose replicas are ready (Redis answered), as Kubernetes would wait before sending traffic.
 * A killed Redis refuses connections at once, so a long command timeout only keeps a busy test machine
 * (a stalled loopback Redis) from looking like an outage.
 */
async function redisStack(store: Record<string, unknown>, replicas = 2): Promise<Stack> {
  const stack = await startStack({
    replicas,
    configFor: (pods) =>
      pinningConfig(pods, { top: { store: { kind: 'redis', url: redis.url, keyPrefix: `e2e${process.pid}-${++prefixes}:`, commandTimeoutMs: 10_000, ...store } } }),
    cluster: { lb: 'ring_hash', hashHeader: AFFINITY },
  });
  for (const base of stack.httpBases) await until(async () => (await fetch(`${base}/readyz`)).status === 200, `${base} ready`);
  return stack;
}

/** tools/call decisions each replica made in ext_proc's request phase (where pinning happens), from mcpgw_requests_total. */
async function toolCallsPerReplica(stack: Stack): Promise<number[]> {
  return Promise.all(
    stack.gateways.map(async (g) => {
      const m = await g.metrics.registry.getSingleMetric('mcpgw_requests_total')?.get();
      assert.ok(m, 'mcpgw_requests_total is registered');
      const extProc = (hook: unknown) => hook === 'ext_proc' || hook === 'ext_proc_request';
      return m.values.filter((v) => extProc(v.labels.hook) && v.labels.method === 'tools/call').reduce((n, v) => n + v.value, 0);
    }),
  );
}

async function statusOf(url: string): Promise<number> {
  return (await fetch(url)).status;
}

describe('two mcpgw replicas on one Redis', () => {
  let stack: Stack;
  let ledger: SessionLedger;
  before(async () => {
    stack = await redisStack({});
    ledger = new SessionLedger(() => stack.url);
  });
  after(async () => {
    await ledger.closeAll();
    await stack.close();
  });

  it("a session's requests alternate between the replicas and stay on its pod", async () => {
    const sessions = [];
    for (let i = 0; i < 6; i++) sessions.push(await ledger.start());
    for (const s of sessions) {
      const before = await toolCallsPerReplica(stack);
      await ledger.call(s, 10);
      const after = await toolCallsPerReplica(stack);
      const handled = after.map((n, i) => n - before[i]!);
      assert.equal(handled.reduce((a, b) => a + b, 0), 10);
      assert.ok(handled.every((n) => n >= 3), `both replicas decided requests of the session: ${handled.join(' / ')}`);
    }
    assert.equal(new Set(sessions.map((s) => s.pod)).size, 3, 'sessions spread over the pods');
    ledger.assertNeverWrongPod(stack.pods, stack);
  });

  it('DELETE through one replica makes the session unknown on the other (pub/sub invalidation, not the cache TTL)', async () => {
    const s = await ledger.start();
    await ledger.call(s, 4); // both replicas now hold the binding in their caches
    await s.transport.terminateSession();
    // Take the pod away: a replica still routing the session gets 503 from Envoy (and keeps its stale
    // binding), so only an invalidated cache gives the 404 below. Both replicas must answer it.
    const pod = stack.pods.find((p) => p.name === s.pod) as McpPod;
    await pod.close();
    let consecutive = 0;
    await until(async () => {
      const r = await rawPost(stack.url, ping(1), { ...HEADERS, 'mcp-session-id': s.id });
      consecutive = r.status === 404 ? consecutive + 1 : 0;
      return consecutive >= 4;
    }, 'four requests in a row (both replicas, twice) answer 404', 10_000);
    const last = stack.sim.log.slice(-4);
    assert.ok(last.every((e) => e.status === 404 && e.upstream === undefined), 'mcpgw answered: nothing was forwarded');
    assert.deepEqual(unhandled, []);
  });
});

describe('Redis killed mid-run, whenUnavailable: fail-closed', () => {
  let stack: Stack;
  let ledger: SessionLedger;
  before(async () => {
    stack = await redisStack({ whenUnavailable: 'fail-closed' });
    ledger = new SessionLedger(() => stack.url);
  });
  after(async () => {
    await ledger.closeAll();
    await stack.close();
    await redis.restart(); // the next suite needs Redis, whatever happened here
  });

  it('new sessions get 503 + Retry-After + JSON-RPC error; cached sessions keep routing; /readyz stays 200; recovery on restart', async () => {
    const cached = [];
    for (let i = 0; i < 4; i++) cached.push(await ledger.start());
    await Promise.all(cached.map((s) => ledger.call(s, 4))); // cached on both replicas
    // As the kubelet does before any traffic arrives: readiness confirmed while Redis answers.
    for (const base of stack.httpBases) assert.equal(await statusOf(`${base}/readyz`), 200);

    await redis.kill();
    await until(async () => (await rawPost(stack.url, initialize(7), HEADERS)).status === 503, 'mcpgw notices Redis is gone');
    for (let i = 0; i < 4; i++) {
      const r = await rawPost(stack.url, initialize(100 + i), HEADERS);
      assert.equal(r.status, 503, 'both replicas refuse new sessions');
      assert.ok(Number(r.headers['retry-after']) > 0, 'Retry-After');
      const body = JSON.parse(r.body) as { jsonrpc: string; id: number; error: { code: number; message: string } };
      assert.equal(body.jsonrpc, '2.0');
      assert.equal(body.id, 100 + i, 'the error echoes the request id');
      assert.equal(typeof body.error.code, 'number');
      assert.equal(stack.sim.log.at(-1)?.upstream, undefined, 'never forwarded');
    }
    await assert.rejects(connectClient(stack.url), 'an SDK client cannot open a session');

    await Promise.all(cached.map((s) => ledger.call(s, 4)));
    for (const base of stack.httpBases) {
      assert.equal(await statusOf(`${base}/readyz`), 200, 'ready: cached sessions still route');
      assert.equal(await statusOf(`${base}/healthz`), 200);
    }

    await redis.restart();
    await until(async () => (await rawPost(stack.url, initialize(8), HEADERS)).status === 200, 'new sessions work again', 20_000);
    const fresh = await ledger.start();
    await ledger.call(fresh, 6);
    // The restarted Redis is empty: old sessions either still route from a cache or get 404; never another pod.
    for (const s of cached) {
      try {
        await ledger.call(s, 1);
      } catch (err) {
        assert.equal((err as { code?: number }).code, 404);
      }
    }
    ledger.assertNeverWrongPod(stack.pods, stack);
    assert.deepEqual(unhandled, []);
  });
});

describe('Redis killed mid-run, whenUnavailable: fail-open, notReadyWhenUnavailable: true', () => {
  let stack: Stack;
  let ledger: SessionLedger;
  before(async () => {
    stack = await redisStack({ whenUnavailable: 'fail-open', notReadyWhenUnavailable: true });
    ledger = new SessionLedger(() => stack.url);
  });
  after(async () => {
    await ledger.closeAll();
    await stack.close();
  });

  it('new sessions still open (the pod is chosen, not recorded); /readyz is 503 until Redis returns', async () => {
    const cached = await ledger.start();
    await ledger.call(cached, 4);
    for (const base of stack.httpBases) assert.equal(await statusOf(`${base}/readyz`), 200);

    await redis.kill();
    for (const base of stack.httpBases) await until(async () => (await statusOf(`${base}/readyz`)) === 503, `${base} reports not ready`);
    const opened: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await rawPost(stack.url, initialize(i), HEADERS);
      assert.equal(r.status, 200, 'initialize still works');
      const id = r.headers['mcp-session-id'];
      assert.equal(typeof id, 'string');
      opened.push(id as string);
      assert.ok(stack.sim.log.at(-1)?.upstream, 'served by a pod');
    }
    await ledger.call(cached, 4);

    await redis.restart();
    for (const base of stack.httpBases) await until(async () => (await statusOf(`${base}/readyz`)) === 200, `${base} ready again`, 20_000);
    // Sessions opened during the outage were never recorded: now that the store answers, they are unknown (404, re-initialize).
    for (const id of opened) {
      const r = await rawPost(stack.url, ping(1), { ...HEADERS, 'mcp-session-id': id });
      assert.equal(r.status, 404);
      assert.equal(stack.sim.log.at(-1)?.upstream, undefined);
    }
    const fresh = await ledger.start();
    await ledger.call(fresh, 4);
    assert.deepEqual(unhandled, []);
  });
});
