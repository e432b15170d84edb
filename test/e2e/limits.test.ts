// Limits end to end: real SDK clients → envoy-sim (ext_authz + ext_proc) → mcpgw → real SDK pods.
// Callers are API-key principals (with tenants), so each test owns its limits through match.principals
// or match.tenants and the tests do not count against each other. The last two suites run two mcpgw
// replicas on one real redis-server: one shared count, and Redis killed mid-run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, rawPost, type McpPod } from '../fixtures/index.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { LineSink } from '../telemetry/lines.js';
import {
  MCP_HEADERS,
  callOnSession,
  httpStatusIs,
  initialize,
  jsonRpcOf,
  openStream,
  sha256,
  toolCall,
  type SdkClient,
} from './limitsSupport.js';
import { until } from './mesh.js';
import { ADMIN_TOKEN, AFFINITY, pinningConfig } from './pinning.js';
import { startStack, type Stack } from './stack.js';

const KEYS = {
  rate: 'mcpgw-e2e-key-rate-0123456789',
  quotaA: 'mcpgw-e2e-key-quota-a-0123456789',
  quotaB: 'mcpgw-e2e-key-quota-b-0123456789',
  conc: 'mcpgw-e2e-key-conc-0123456789',
  sess: 'mcpgw-e2e-key-sess-0123456789',
  ops: 'mcpgw-e2e-key-ops-0123456789',
} as const;

const apiKeys = [
  { name: 'rate', sha256: sha256(KEYS.rate) },
  { name: 'quota-a', sha256: sha256(KEYS.quotaA), tenant: 'acme' },
  { name: 'quota-b', sha256: sha256(KEYS.quotaB), tenant: 'acme' },
  { name: 'conc', sha256: sha256(KEYS.conc) },
  { name: 'sess', sha256: sha256(KEYS.sess) },
  { name: 'ops', sha256: sha256(KEYS.ops), tenant: 'ops' },
];

const LIMITS = [
  // 5 per minute with a burst of 5: the 6th immediate call is refused whatever the machine's speed.
  { name: 'echo-rate', per: ['principal'], match: { methods: ['tools/call'], tools: ['echo'], principals: ['apikey:rate'] }, rate: { requests: 5, perSeconds: 60, burst: 5 } },
  { name: 'acme-quota', per: ['tenant'], match: { methods: ['tools/call'], tenants: ['acme'] }, quota: { requests: 100, window: 'day' } },
  { name: 'slow-concurrency', per: ['tool'], match: { tools: ['slow_count'] }, concurrency: { max: 1 } },
  { name: 'principal-sessions', per: ['principal'], match: { principals: ['apikey:sess'] }, sessions: { max: 2 } },
  { name: 'ops-quota', per: ['tenant'], match: { methods: ['tools/call'], tenants: ['ops'] }, quota: { requests: 1000, window: 'day' } },
];

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
before(() => void process.on('unhandledRejection', onUnhandled));
after(() => void process.off('unhandledRejection', onUnhandled));

const key = (k: string) => ({ 'x-api-key': k });
const echo = (c: SdkClient, text = 'hi') => c.client.callTool({ name: 'echo', arguments: { text } });

describe('limits through envoy-sim (memory store)', () => {
  let stack: Stack;
  const clients: SdkClient[] = [];
  const connect = async (k: string) => {
    const c = await connectClient(stack.url, { headers: key(k) });
    clients.push(c);
    return c;
  };

  before(async () => {
    stack = await startStack({
      configFor: (pods) =>
        pinningConfig(pods, {
          server: { auth: { resource: 'http://127.0.0.1/mcp' } },
          top: { identity: { apiKeys }, limits: LIMITS, limiting: { headers: true } },
        }),
      cluster: { lb: 'ring_hash', hashHeader: AFFINITY },
      service: { auditStream: new LineSink() },
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.client.close().catch(() => undefined)));
    await stack.close();
    assert.deepEqual(unhandled, []);
  });

  it('a rate limit: the 6th immediate call is a 429 the SDK client surfaces; Retry-After, RateLimit headers, -31429 naming the limit; other tools unaffected', async () => {
    const c = await connect(KEYS.rate);
    for (let i = 0; i < 5; i++) await echo(c, `call ${i}`);
    await assert.rejects(echo(c, 'sixth'), httpStatusIs(429), 'the SDK client sees the 429');

    const r = await callOnSession(stack.url, c, 'echo', { text: 'raw' }, 'req-77', key(KEYS.rate));
    assert.equal(r.status, 429);
    const retryAfter = Number(r.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 12, `Retry-After ${r.headers['retry-after']}`);
    assert.equal(r.headers['ratelimit-policy'], '"echo-rate";q=5;w=60');
    assert.equal(r.headers['ratelimit'], `"echo-rate";r=0;t=${retryAfter}`);
    const body = JSON.parse(r.body) as { jsonrpc: string; id: unknown; error: { code: number; message: string; data: { limit: string; retryAfterSeconds: number } } };
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.id, 'req-77', 'the request id is echoed');
    assert.equal(body.error.code, -31429);
    assert.match(body.error.message, /Rate limit "echo-rate" exceeded; retry after \d+ s/);
    assert.deepEqual(body.error.data, { limit: 'echo-rate', retryAfterSeconds: retryAfter });
    assert.equal(stack.sim.log.at(-1)?.upstream, undefined, 'the refused call never reached a pod');

    // Not matched by the limit: another tool of the same principal, and echo of another principal.
    for (let i = 0; i < 3; i++) await c.client.callTool({ name: 'whoami', arguments: {} });
    const other = await connect(KEYS.conc);
    for (let i = 0; i < 7; i++) await echo(other, `other ${i}`);
  });

  it('a tenant quota with limiting.headers: allowed responses carry RateLimit headers, and both keys of the tenant draw on one count', async () => {
    const a = await connect(KEYS.quotaA);
    const b = await connect(KEYS.quotaB);
    const remaining: number[] = [];
    for (const [i, c] of [a, b, a].entries()) {
      const r = await callOnSession(stack.url, c, 'echo', { text: `q${i}` }, i + 1, key(c === b ? KEYS.quotaB : KEYS.quotaA));
      assert.equal(r.status, 200);
      assert.equal(jsonRpcOf(r.body).result?.content?.[0]?.text, `q${i}`);
      assert.equal(r.headers['ratelimit-policy'], '"acme-quota";q=100;w=86400');
      const m = /^"acme-quota";r=(\d+);t=(\d+)$/.exec(String(r.headers['ratelimit']));
      assert.ok(m, `RateLimit: ${r.headers['ratelimit']}`);
      assert.ok(Number(m[2]) >= 1 && Number(m[2]) <= 86_400);
      remaining.push(Number(m[1]));
    }
    assert.equal(remaining[1], remaining[0]! - 1);
    assert.equal(remaining[2], remaining[0]! - 2);
    assert.ok(remaining[0]! <= 99, 'the SDK calls of the test count too');
    assert.equal((await callOnSession(stack.url, a, 'echo', { text: 'h' }, 9, key(KEYS.quotaA))).headers['retry-after'], undefined, 'an allowed response has no Retry-After');
  });

  it('concurrency 1 on slow_count: a second call is 429 while the first streams; the slot comes back on success, on a tool error, on an upstream error and on a client disconnect', async () => {
    const a = await connect(KEYS.conc);
    const b = await connect(KEYS.conc);
    const headersOf = (c: SdkClient) => ({ ...MCP_HEADERS, ...key(KEYS.conc), 'mcp-session-id': c.transport.sessionId as string });
    const slow = (n: number, id: number) => toolCall('slow_count', { n, delayMs: 50 }, id);
    const second = () => b.client.callTool({ name: 'slow_count', arguments: { n: 1, delayMs: 0 } });

    // 1. Success: held while the SSE stream runs, free once it ended.
    const first = await openStream(stack.url, slow(12, 1), headersOf(a));
    assert.equal(first.status, 200);
    assert.match(String(first.headers['content-type']), /text\/event-stream/);
    assert.equal(first.headers['ratelimit-policy'], '"slow-concurrency";q=1;qu="concurrent-requests"');
    assert.match(await first.firstChunk, /count 1\/12|data:/);
    await assert.rejects(second(), httpStatusIs(429), 'a second concurrent call is refused');
    const refused = await callOnSession(stack.url, b, 'slow_count', { n: 1, delayMs: 0 }, 2, key(KEYS.conc));
    assert.equal(refused.status, 429);
    assert.equal(jsonRpcOf(refused.body).error?.data?.limit, 'slow-concurrency');
    assert.match(await first.done, /counted to 12 of 12/);
    await until(async () => (await callOnSession(stack.url, b, 'slow_count', { n: 1, delayMs: 0 }, 3, key(KEYS.conc))).status === 200, 'the slot is free after the stream ended');

    // 2. A tool that errors (invalid arguments: the pod answers with an error result).
    const bad = await callOnSession(stack.url, a, 'slow_count', { n: -1 }, 4, key(KEYS.conc));
    assert.equal(bad.status, 200);
    const badMsg = jsonRpcOf(bad.body);
    assert.ok(badMsg.error !== undefined || badMsg.result?.isError === true, `the tool failed: ${bad.body.slice(0, 200)}`);
    await until(async () => (await callOnSession(stack.url, b, 'slow_count', { n: 1, delayMs: 0 }, 5, key(KEYS.conc))).status === 200, 'the slot is free after the tool error');

    // 3. An upstream error status: no session id, the pod refuses the call (4xx) after mcpgw admitted it.
    const sessionless = await rawPost(stack.url, toolCall('slow_count', { n: 1, delayMs: 0 }, 6), { ...MCP_HEADERS, ...key(KEYS.conc) });
    assert.ok(sessionless.status >= 400 && sessionless.status !== 429, `upstream error status ${sessionless.status}`);
    assert.ok(stack.sim.log.at(-1)?.upstream, 'the error came from the pod, after mcpgw admitted the call');
    await until(async () => (await callOnSession(stack.url, b, 'slow_count', { n: 1, delayMs: 0 }, 7, key(KEYS.conc))).status === 200, 'the slot is free after the upstream error');

    // 4. Client disconnect mid-SSE: the stream would run ~50 s; the slot must come back long before that (and the 300 s lease).
    const long = await openStream(stack.url, slow(1000, 8), headersOf(a));
    assert.equal(long.status, 200);
    await long.firstChunk;
    assert.equal((await callOnSession(stack.url, b, 'slow_count', { n: 1, delayMs: 0 }, 9, key(KEYS.conc))).status, 429, 'held while streaming');
    long.abort();
    await assert.rejects(long.done);
    await until(async () => (await callOnSession(stack.url, b, 'slow_count', { n: 1, delayMs: 0 }, 10, key(KEYS.conc))).status === 200, 'the slot is free after the client went away', 15_000);
    const ok = (await second()) as { content: Array<{ text: string }> };
    assert.equal(ok.content[0]?.text, 'counted to 1 of 1');
  });

  it('a session cap of 2 per principal: the 3rd initialize is 429; after DELETE of one session a new one opens', async () => {
    const s1 = await connect(KEYS.sess);
    const s2 = await connect(KEYS.sess);
    await assert.rejects(connectClient(stack.url, { headers: key(KEYS.sess) }), httpStatusIs(429), 'the SDK client cannot open a 3rd session');
    const raw = await rawPost(stack.url, initialize(31), { ...MCP_HEADERS, ...key(KEYS.sess) });
    assert.equal(raw.status, 429);
    const body = jsonRpcOf(raw.body);
    assert.equal(body.id, 31);
    assert.equal(body.error?.code, -31429);
    assert.equal(body.error?.data?.limit, 'principal-sessions');
    assert.equal(raw.headers['ratelimit-policy'], '"principal-sessions";q=2;qu="mcpgw-sessions"');
    // Live sessions keep working under the cap.
    await echo(s1);
    await echo(s2);

    await s1.transport.terminateSession(); // DELETE
    let s3: SdkClient | undefined;
    await until(async () => {
      try {
        s3 = await connect(KEYS.sess);
        return true;
      } catch {
        return false;
      }
    }, 'a new session opens once one was deleted');
    await echo(s3!);
    await assert.rejects(connectClient(stack.url, { headers: key(KEYS.sess) }), httpStatusIs(429), 'and the cap holds again');
  });

  it('GET/PUT /admin/tenants/{id}/quota: admin token required; a PUT changes the tenant limit at runtime and the next requests honour it', async () => {
    const url = `${stack.httpBase}/admin/tenants/ops/quota`;
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    type Usage = { tenant: string; limits: Array<{ name: string; configured: number; override?: number; effective: number; used?: number; remaining?: number }> };
    const opsQuota = (u: Usage) => u.limits.find((l) => l.name === 'ops-quota');

    assert.equal((await fetch(url)).status, 401);
    assert.equal((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(url, { method: 'PUT', body: JSON.stringify({ 'ops-quota': 1 }) })).status, 401);
    const before = await fetch(url, { headers: admin });
    assert.equal(before.status, 200);
    const initial = opsQuota((await before.json()) as Usage);
    assert.ok(initial, 'the tenant sees its quota');
    assert.equal(initial.configured, 1000);
    assert.equal(initial.effective, 1000);
    assert.equal(initial.override, undefined);
    assert.equal(initial.used, 0);
    assert.equal(initial.remaining, 1000);

    const c = await connect(KEYS.ops);
    for (let i = 0; i < 3; i++) await echo(c, `ops ${i}`);
    const put = await fetch(url, { method: 'PUT', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ 'ops-quota': 5 }) });
    assert.equal(put.status, 200);
    const changed = opsQuota((await put.json()) as Usage);
    assert.equal(changed?.override, 5);
    assert.equal(changed?.effective, 5);
    assert.equal(changed?.used, 3);
    assert.equal(changed?.remaining, 2);

    await echo(c, 'fourth');
    await echo(c, 'fifth');
    const over = await callOnSession(stack.url, c, 'echo', { text: 'sixth' }, 66, key(KEYS.ops));
    assert.equal(over.status, 429);
    assert.equal(jsonRpcOf(over.body).error?.data?.limit, 'ops-quota');
    assert.equal(over.headers['ratelimit-policy'], '"ops-quota";q=5;w=86400');
    assert.equal(over.headers['ratelimit']?.toString().startsWith('"ops-quota";r=0;'), true);

    assert.equal((await fetch(url, { method: 'PUT', headers: admin, body: JSON.stringify({ 'no-such-limit': 5 }) })).status, 400);
    assert.equal((await fetch(url, { method: 'PUT', headers: admin, body: JSON.stringify({ 'ops-quota': -1 }) })).status, 400);
    const reset = await fetch(url, { method: 'PUT', headers: admin, body: JSON.stringify({ 'ops-quota': null }) });
    assert.equal(reset.status, 200);
    const back = opsQuota((await reset.json()) as Usage);
    assert.equal(back?.override, undefined);
    assert.equal(back?.effective, 1000);
    await echo(c, 'allowed again');
  });
});

describe('limits on one real Redis shared by two mcpgw replicas', () => {
  let redis: RedisProcess;
  let stack: Stack;
  const clients: SdkClient[] = [];
  const connect = async () => {
    const c = await connectClient(stack.url);
    clients.push(c);
    return c;
  };

  before(async () => {
    redis = await startRedis();
    stack = await startStack({
      replicas: 2,
      configFor: (pods: McpPod[]) =>
        pinningConfig(pods, {
          top: {
            store: { kind: 'redis', url: redis.url, keyPrefix: `e2e-limits-${process.pid}:`, commandTimeoutMs: 500 },
            limiting: { replicas: 2 },
            limits: [
              { name: 'replica-quota', per: [], match: { tools: ['echo'] }, quota: { requests: 7, window: 'day' } },
              { name: 'open-fallback', per: [], match: { tools: ['search_docs'] }, quota: { requests: 6, window: 'day' }, whenUnavailable: 'fail-open' },
              { name: 'closed-guard', per: [], match: { tools: ['whoami'] }, quota: { requests: 100_000, window: 'day' }, whenUnavailable: 'fail-closed' },
            ],
          },
        }),
      cluster: { lb: 'ring_hash', hashHeader: AFFINITY },
      service: { auditStream: new LineSink() },
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.client.close().catch(() => undefined)));
    await stack.close();
    await redis.stop();
    assert.deepEqual(unhandled, []);
  });

  /** tools/call decisions each replica made in ext_proc (where limits are counted). */
  async function toolCallsPerReplica(): Promise<number[]> {
    return Promise.all(
      stack.gateways.map(async (g) => {
        const m = await g.metrics.registry.getSingleMetric('mcpgw_requests_total')?.get();
        return (m?.values ?? []).filter((v) => v.labels.hook === 'ext_proc_request' && v.labels.method === 'tools/call').reduce((n, v) => n + v.value, 0);
      }),
    );
  }

  async function counter(name: string, labels: Record<string, string>): Promise<number> {
    let total = 0;
    for (const g of stack.gateways) {
      const m = await g.metrics.registry.getSingleMetric(name)?.get();
      for (const v of m?.values ?? []) if (Object.entries(labels).every(([k, val]) => v.labels[k] === val)) total += v.value;
    }
    return total;
  }

  it('the combined admitted count of both replicas equals the limit', async () => {
    const c = await connect();
    const beforeCalls = await toolCallsPerReplica();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await callOnSession(stack.url, c, 'echo', { text: `r${i}` }, i + 1)).status);
    assert.equal(statuses.filter((s) => s === 200).length, 7, `statuses: ${statuses.join(' ')}`);
    assert.equal(statuses.filter((s) => s === 429).length, 5);
    assert.deepEqual(statuses.slice(0, 7), [200, 200, 200, 200, 200, 200, 200]);
    const handled = (await toolCallsPerReplica()).map((n, i) => n - beforeCalls[i]!);
    assert.ok(handled.every((n) => n >= 4), `both replicas decided calls: ${handled.join(' / ')}`);
    assert.equal(await counter('mcpgw_limit_refusals_total', { limit: 'replica-quota', reason: 'exceeded' }), 5);
  });

  it('Redis killed mid-run: fail-open counts locally at limit / replicas, fail-closed answers 503 + Retry-After; no crash; shared again after a restart', async () => {
    const c = await connect();
    // Every replica caches the session binding, so the session keeps routing while Redis is away.
    for (let i = 0; i < 4; i++) assert.equal((await callOnSession(stack.url, c, 'whoami', {}, 100 + i)).status, 200);

    await redis.kill();
    let closed: Awaited<ReturnType<typeof callOnSession>> | undefined;
    await until(async () => {
      const r = await callOnSession(stack.url, c, 'whoami', {}, 200);
      if (r.status === 503 && r.body.includes('closed-guard')) closed = r;
      return closed !== undefined;
    }, 'the fail-closed limit refuses once Redis is gone');
    assert.equal(closed!.headers['retry-after'], '1');
    const err = jsonRpcOf(closed!.body);
    assert.equal(err.id, 200);
    assert.equal(err.error?.code, -31503);
    assert.equal(err.error?.data?.limit, 'closed-guard');
    assert.match(String(err.error?.message), /Rate limit "closed-guard" cannot be checked right now/);

    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await callOnSession(stack.url, c, 'search_docs', { query: 'limits' }, 300 + i)).status);
    const admitted = statuses.filter((s) => s === 200).length;
    // limit 6 / 2 replicas = 3 per replica; round robin spreads the calls, so about 6 in all.
    assert.ok(admitted >= 3 && admitted <= 6, `admitted ${admitted}: ${statuses.join(' ')}`);
    assert.ok(statuses.every((s) => s === 200 || s === 429), `fail-open never answers 503: ${statuses.join(' ')}`);
    assert.ok(statuses.includes(429), 'the local fallback still limits');
    for (const base of stack.httpBases) assert.equal((await fetch(`${base}/healthz`)).status, 200, 'no crash');
    assert.ok((await counter('mcpgw_limit_store_unavailable_total', { policy: 'fail-open' })) >= 12);
    assert.ok((await counter('mcpgw_limit_store_unavailable_total', { policy: 'fail-closed' })) >= 1);
    assert.ok((await counter('mcpgw_limit_refusals_total', { limit: 'closed-guard', reason: 'store_unavailable' })) >= 1);
    assert.ok(stack.logs.some((l) => l.includes('limits store unavailable')), 'the outage is logged');

    await redis.restart();
    let fresh: SdkClient | undefined;
    let inARow = 0;
    // closed-guard is fail-closed: a 200 means the deciding replica reached Redis. Four in a row
    // (round robin: both replicas, twice) means neither still counts locally.
    await until(async () => {
      try {
        fresh ??= await connect();
        inARow = (await callOnSession(stack.url, fresh, 'whoami', {}, 400)).status === 200 ? inARow + 1 : 0;
      } catch {
        inARow = 0;
      }
      return inARow >= 4;
    }, 'limits are checked against Redis again', 20_000);
    // A restarted Redis is empty: the shared count starts afresh at 6.
    const after: number[] = [];
    for (let i = 0; i < 8; i++) after.push((await callOnSession(stack.url, fresh!, 'search_docs', { query: 'limits' }, 500 + i)).status);
    assert.equal(after.filter((s) => s === 200).length, 6, `after the restart: ${after.join(' ')}`);
    await until(() => stack.logs.some((l) => l.includes('limits store reachable again')), 'the recovery is logged');
  });
});

describe('limits in an ext_authz-only mesh (extProc: false)', () => {
  let stack: Stack;
  const audit = new LineSink();
  before(async () => {
    stack = await startStack({
      pods: [{ name: 'pod-only' }], // no ext_proc, no pinning: one pod keeps the session
      extProc: false,
      configFor: (pods) =>
        pinningConfig(pods, {
          top: {
            extProc: false,
            limiting: { headers: true },
            limits: [{ name: 'authz-quota', per: [], match: { methods: ['tools/call'], tools: ['echo'] }, quota: { requests: 3, window: 'day' } }],
          },
        }),
      service: { auditStream: audit },
    });
  });
  after(async () => {
    await stack.close();
  });

  it('ext_authz counts once per request: allowed answers carry RateLimit headers, the 4th is a 429, one audit line each', async () => {
    const c = await connectClient(stack.url);
    try {
      const remaining: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await callOnSession(stack.url, c, 'echo', { text: `a${i}` }, i + 1);
        assert.equal(r.status, 200);
        remaining.push(String(r.headers['ratelimit']).replace(/;t=\d+$/, ''));
      }
      assert.deepEqual(remaining, ['"authz-quota";r=2', '"authz-quota";r=1', '"authz-quota";r=0']);
      const over = await callOnSession(stack.url, c, 'echo', { text: 'a3' }, 4);
      assert.equal(over.status, 429);
      assert.equal(jsonRpcOf(over.body).error?.data?.limit, 'authz-quota');
      assert.ok(Number(over.headers['retry-after']) >= 1);
      assert.equal((await callOnSession(stack.url, c, 'whoami', {}, 5)).status, 200, 'other tools unaffected');
      await until(() => audit.objects.filter((l) => l['method'] === 'tools/call').length >= 5, 'audit lines');
      const lines = audit.objects.filter((l) => l['method'] === 'tools/call');
      assert.equal(lines.length, 5, 'one line per tools/call, written by ext_authz');
      assert.deepEqual(lines.map((l) => l['reason']), ['allowed', 'allowed', 'allowed', 'rate_limited', 'allowed']);
    } finally {
      await c.client.close();
    }
  });
});
