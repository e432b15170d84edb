// The core as a value: request and response decisions, table by table, with in-memory fakes of the
// interfaces it owns (authenticator, session registry, pod directory, limiter, clock). Each row is
// one request or response and the decision a user would see the effect of.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, type GatewayConfig } from '../../src/config/index.js';
import {
  Gateway,
  SessionPinning,
  requestView,
  type AuthChallenge,
  type AuthInput,
  type AuthOutcome,
  type Authenticator,
  type Decision,
  type HookCapabilities,
  type LimitLease,
  type LimitRequest,
  type LimitVerdict,
  type Limiter,
  type PodDirectory,
  type ResponseDecision,
  type ResponsePlan,
  type ServerPods,
  type SessionBinding,
  type SessionRegistry,
  type UpstreamResponse,
} from '../../src/core/index.js';

const CHECK: HookCapabilities = { seesBody: false, seesResponse: false };
const PROCESS: HookCapabilities = { seesBody: true, seesResponse: true };
const PODS = ['10.0.0.1:8080', '10.0.0.2:8080'];
const RESOURCE = 'https://secure.test/mcp';

// ---- in-memory fakes of the core's interfaces ------------------------------------------------

class FakeAuthenticator implements Authenticator {
  readonly apiKeyHeader = 'x-api-key';
  readonly dpopAlgorithms = ['ES256'];
  async authenticate(input: AuthInput): Promise<AuthOutcome> {
    if (input.authorization === 'Bearer alice') return { ok: true, principal: { id: 'jwt:alice', kind: 'jwt', subject: 'alice', scopes: ['tools:read'], roles: [], groups: [], tenant: 'acme' } };
    if (input.authorization === undefined) return { ok: false, status: 401, scheme: 'Bearer', description: 'authentication required', reason: 'missing_token' };
    return { ok: false, status: 401, error: 'invalid_token', scheme: 'Bearer', description: 'token is not valid', reason: 'bad_signature' };
  }
  challenge(c: AuthChallenge): string {
    return `Fake ${c.failure?.reason ?? c.error ?? 'auth'} scope=${(c.scope ?? []).join(',')}`;
  }
}

class FakeRegistry implements SessionRegistry {
  readonly bindings = new Map<string, SessionBinding>();
  async get(server: string, id: string) {
    return this.bindings.get(`${server} ${id}`);
  }
  async put(b: SessionBinding) {
    this.bindings.set(`${b.server} ${b.id}`, b);
  }
  async touch() {}
  async delete(server: string, id: string) {
    const b = this.bindings.get(`${server} ${id}`);
    this.bindings.delete(`${server} ${id}`);
    return b;
  }
  async livePerPod(server: string) {
    const live = new Map<string, number>();
    for (const b of this.bindings.values()) if (b.server === server) live.set(b.pod, (live.get(b.pod) ?? 0) + 1);
    return live;
  }
}

/** Every pod is reachable; the affinity key of a pod is `key:<pod>`; `gone` pods have left. */
class FakePods implements PodDirectory, ServerPods {
  readonly knowsEndpoints = true;
  readonly gone = new Set<string>();
  readonly served: string[] = [];
  pods(server: string) {
    return server === 'files' ? this : undefined;
  }
  choosePod(live: ReadonlyMap<string, number>) {
    return [...PODS].sort((a, b) => (live.get(a) ?? 0) - (live.get(b) ?? 0))[0];
  }
  headerValueFor(host: string) {
    return this.gone.has(host) ? undefined : `key:${host}`;
  }
  randomKey() {
    return 'key:random';
  }
  lossOf(host: string) {
    return this.gone.has(host) ? ('pod_gone' as const) : undefined;
  }
  isDraining() {
    return false;
  }
  observeServed(host: string) {
    this.served.push(host);
  }
}

/** Admits `allow` requests per tool, each holding a concurrency slot; records what is given back and bound. */
class FakeLimiter implements Limiter {
  readonly released: LimitLease[] = [];
  readonly bound: Array<{ lease: LimitLease; sessionId: string }> = [];
  constructor(private readonly refuseTool?: string) {}
  async check(r: LimitRequest): Promise<LimitVerdict> {
    if (this.refuseTool !== undefined && r.tool === this.refuseTool) {
      return { allowed: false, refused: { limit: 'per-tool', retryAfterSeconds: 3, policy: '"per-tool";q=1;w=60', reason: 'exceeded' }, headers: [{ name: 'Retry-After', value: '3' }] };
    }
    const kind = r.isNewSession ? ('reservation' as const) : ('slot' as const);
    return { allowed: true, headers: [{ name: 'RateLimit', value: '"per-tool";r=9' }], lease: { server: r.server, entries: [{ kind, key: `k:${r.method}`, member: `m:${r.tool ?? r.method}` }], local: false } };
  }
  async release(lease: LimitLease) {
    this.released.push(lease);
  }
  async bindSession(lease: LimitLease, sessionId: string) {
    this.bound.push({ lease, sessionId });
  }
}

// ---- the core under test ---------------------------------------------------------------------

function config(extProc = true): GatewayConfig {
  const r = parseConfig(
    JSON.stringify({
      extProc,
      unmatchedRequests: 'reject',
      servers: [
        { name: 'files', match: { hosts: ['mcp.test'], pathPrefix: '/mcp' }, tools: { deny: ['delete_*'] } },
        {
          name: 'secure',
          match: { hosts: ['secure.test'], pathPrefix: '/mcp' },
          auth: { resource: RESOURCE },
          policy: { defaultEffect: 'deny', rules: [{ effect: 'allow', methods: ['initialize', 'tools/list'] }, { effect: 'allow', tools: ['read_*'], scopes: { anyOf: ['tools:read'] } }, { effect: 'allow', tools: ['admin_*'], scopes: { allOf: ['admin'] } }] },
        },
      ],
    }),
  );
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.config;
}

interface Fakes {
  gateway: Gateway;
  registry: FakeRegistry;
  pods: FakePods;
  limiter: FakeLimiter;
}

function core(o: { extProc?: boolean; refuseTool?: string } = {}): Fakes {
  const registry = new FakeRegistry();
  const pods = new FakePods();
  const limiter = new FakeLimiter(o.refuseTool);
  const t = Date.UTC(2026, 0, 1);
  const noop = () => undefined;
  const pinning = new SessionPinning({
    registry,
    pods,
    now: () => t,
    whenUnavailable: 'fail-closed',
    events: { created: noop, ended: noop, corrected: noop, misrouted: noop, recovered: noop, storeUnavailable: noop },
  });
  const gateway = new Gateway(config(o.extProc ?? true), { pinning, authenticator: new FakeAuthenticator(), limiter });
  return { gateway, registry, pods, limiter };
}

const rpc = (method: string, params?: Record<string, unknown>, id = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });

function view(o: { method?: string; host?: string; path?: string; headers?: Record<string, string>; body?: string | null }) {
  const headers: Record<string, string> = { ':method': o.method ?? 'POST', ':path': o.path ?? '/mcp', ':authority': o.host ?? 'mcp.test', ...o.headers };
  return requestView(headers, o.body);
}

const header = (d: Decision, name: string) => (d.kind === 'allow' ? d.setHeaders : d.headers).find((h) => h.name === name)?.value;
const code = (d: Decision) => (d.kind === 'allow' ? undefined : (JSON.parse(d.body) as { error?: { code: number } }).error?.code);

// ---- request decisions -----------------------------------------------------------------------

interface RequestRow {
  name: string;
  hook: HookCapabilities;
  extProc?: boolean;
  request: Parameters<typeof view>[0];
  expect: { kind: Decision['kind']; status?: number; code?: number; reason?: string; headers?: Record<string, string | undefined>; removes?: string[]; pin?: string };
}

const REQUESTS: RequestRow[] = [
  { name: 'a host no server claims is refused', hook: PROCESS, request: { host: 'nobody.test', body: rpc('tools/list') }, expect: { kind: 'deny', status: 404, code: -31404, reason: 'no_server' } },
  { name: 'PUT is not an MCP method', hook: CHECK, request: { method: 'PUT', body: null }, expect: { kind: 'deny', status: 405, reason: 'method_not_allowed', headers: { allow: 'GET, POST, DELETE' } } },
  {
    name: 'an allowed call gets the owned headers; the client copy of the affinity header is removed',
    hook: CHECK,
    request: { headers: { 'x-mcp-affinity': 'forged', 'x-mcp-principal': 'forged' }, body: rpc('tools/call', { name: 'echo' }) },
    expect: { kind: 'allow', headers: { 'x-mcp-method': 'tools/call', 'x-mcp-name': 'echo', 'x-mcp-affinity': undefined }, removes: ['x-mcp-affinity', 'x-mcp-principal'] },
  },
  { name: 'a tool outside tools.allow / deny is refused', hook: CHECK, request: { body: rpc('tools/call', { name: 'delete_all' }) }, expect: { kind: 'deny', status: 403, code: -31403, reason: 'tool_denied' } },
  { name: 'a malformed body is a parse error', hook: PROCESS, request: { body: '{"jsonrpc":' }, expect: { kind: 'deny', status: 400, code: -32700 } },
  {
    name: 'without a body-reading hook, a Check without the body is refused, saying why',
    hook: CHECK,
    extProc: false,
    request: { headers: { 'content-length': '40' } },
    expect: { kind: 'deny', status: 500, reason: 'body_not_sent' },
  },
  { name: 'with one, a Check without the body decides from headers (the body is checked later)', hook: CHECK, request: { headers: { 'content-length': '40' } }, expect: { kind: 'allow' } },
  {
    name: 'a hook that sees the response pins a new session to the pod with the fewest sessions',
    hook: PROCESS,
    request: { body: rpc('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } }) },
    expect: { kind: 'allow', headers: { 'x-mcp-affinity': `key:${PODS[0]}` }, pin: 'new' },
  },
  { name: 'a hook that does not see the response never pins', hook: CHECK, request: { body: rpc('initialize', {}) }, expect: { kind: 'allow', headers: { 'x-mcp-affinity': undefined } } },
  { name: 'an unknown session is the spec\'s 404', hook: PROCESS, request: { headers: { 'mcp-session-id': 'nope' }, body: rpc('tools/list', undefined, 9) }, expect: { kind: 'deny', status: 404, code: -32001, reason: 'session_not_found' } },
  { name: 'no credentials: 401 with the authenticator\'s challenge', hook: CHECK, request: { host: 'secure.test', body: rpc('tools/list') }, expect: { kind: 'deny', status: 401, reason: 'auth_missing_token', headers: { 'www-authenticate': 'Fake missing_token scope=' } } },
  {
    name: 'a verified caller is named to the upstream',
    hook: CHECK,
    request: { host: 'secure.test', headers: { authorization: 'Bearer alice' }, body: rpc('tools/call', { name: 'read_file' }) },
    expect: { kind: 'allow', headers: { 'x-mcp-principal': 'jwt:alice', 'x-mcp-tenant': 'acme', 'x-mcp-scopes': 'tools:read' } },
  },
  {
    name: 'a scope the token lacks: 403 with a step-up challenge naming it',
    hook: CHECK,
    request: { host: 'secure.test', headers: { authorization: 'Bearer alice' }, body: rpc('tools/call', { name: 'admin_reset' }) },
    expect: { kind: 'deny', status: 403, reason: 'insufficient_scope', headers: { 'www-authenticate': 'Fake insufficient_scope scope=admin' } },
  },
  {
    name: 'protected resource metadata is answered by mcpgw itself, unauthenticated',
    hook: CHECK,
    request: { method: 'GET', host: 'secure.test', path: '/.well-known/oauth-protected-resource/mcp', body: null },
    expect: { kind: 'respond', status: 200, reason: 'protected_resource_metadata' },
  },
];

describe('core request decisions', () => {
  for (const row of REQUESTS) {
    it(row.name, async () => {
      const { gateway } = core({ extProc: row.extProc ?? true });
      const d = await gateway.decide(view(row.request), row.hook);
      const e = row.expect;
      assert.equal(d.kind, e.kind, JSON.stringify(d));
      if (e.status !== undefined && d.kind !== 'allow') assert.equal(d.status, e.status);
      if (e.code !== undefined) assert.equal(code(d), e.code);
      if (e.reason !== undefined && d.kind !== 'allow') assert.equal(d.reason, e.reason);
      for (const [name, value] of Object.entries(e.headers ?? {})) assert.equal(header(d, name), value, name);
      if (e.removes) assert.ok(d.kind === 'allow' && e.removes.every((h) => d.removeHeaders.includes(h)), JSON.stringify(d));
      if (e.pin) assert.equal(d.kind === 'allow' && d.pin?.kind, e.pin);
    });
  }

  it('decisions are plain data (no closures): a structured clone is the same decision', async () => {
    const f = core();
    await boundSession(f);
    const requests = [
      view({ body: rpc('tools/call', { name: 'echo' }) }),
      view({ body: INIT }),
      view({ headers: { 'mcp-session-id': 's-1' }, body: rpc('tools/list') }),
      view({ host: 'secure.test', headers: { authorization: 'Bearer alice' }, body: rpc('tools/list') }),
    ];
    const decisions = await Promise.all(requests.map((v) => f.gateway.decide(v, PROCESS)));
    assert.deepEqual(
      decisions.map((d) => d.kind === 'allow' && [d.limits?.leases.length, d.pin?.kind, d.list?.method]),
      [[1, 'none', undefined], [1, 'new', undefined], [1, 'bound', 'tools/list'], [1, 'none', 'tools/list']],
      'leases, pin plans and list plans are all there',
    );
    for (const d of decisions) assert.deepEqual(structuredClone(d), d);
  });

  it('limits: a hook that sees the response keeps the lease for the response end', async () => {
    const { gateway, limiter } = core();
    const d = await gateway.decide(view({ body: rpc('tools/call', { name: 'echo' }) }), PROCESS);
    assert.deepEqual(d.kind === 'allow' && d.limits?.leases.map((l) => l.entries), [[{ kind: 'slot', key: 'k:tools/call', member: 'm:echo' }]]);
    assert.deepEqual(limiter.released, []);
  });

  it('limits: a hook that never sees the response gives its lease back at once instead of dropping it', async () => {
    const { gateway, limiter } = core({ extProc: false });
    const d = await gateway.decide(view({ body: rpc('tools/call', { name: 'echo' }) }), CHECK);
    assert.deepEqual(d.kind === 'allow' && d.limits?.leases, []);
    assert.equal(limiter.released.length, 1);
    assert.ok(d.kind === 'allow' && d.limits?.responseHeaders.some((h) => h.name === 'RateLimit'), 'limit headers still reach the client');
  });

  it('limits: a refused batch message refuses the request and gives back what earlier messages took', async () => {
    const { gateway, limiter } = core({ refuseTool: 'slow' });
    const batch = `[${rpc('tools/call', { name: 'echo' }, 1)},${rpc('tools/call', { name: 'slow' }, 2)}]`;
    const d = await gateway.decide(view({ headers: { 'mcp-protocol-version': '2025-03-26' }, body: batch }), PROCESS);
    assert.equal(d.kind, 'deny');
    assert.equal(d.kind === 'deny' && d.status, 429);
    assert.equal(header(d, 'Retry-After'), '3');
    assert.deepEqual(limiter.released.map((l) => l.entries[0]?.member), ['m:echo']);
  });

  it('limits are counted by one hook only: the response hook when it runs', async () => {
    const { gateway, limiter } = core();
    const d = await gateway.decide(view({ body: rpc('tools/call', { name: 'slow' }) }), CHECK);
    assert.equal(d.kind, 'allow', 'ext_authz does not count when ext_proc will');
    assert.deepEqual(limiter.released, []);
  });
});

// ---- response decisions ----------------------------------------------------------------------

function response(status: number, headers: Record<string, string> = {}, o: { hasBody?: boolean; from?: string } = {}): UpstreamResponse {
  return { status, header: (n) => headers[n], hasBody: o.hasBody ?? true, ...(o.from ? { upstreamAddress: o.from } : {}) };
}

/** The plan the request phase of `body` leaves for its response, from a real request decision. */
async function planFor(f: Fakes, body: string, headers: Record<string, string> = {}): Promise<ResponsePlan> {
  const d = await f.gateway.decide(view({ headers, body }), PROCESS);
  assert.equal(d.kind, 'allow', JSON.stringify(d));
  if (d.kind !== 'allow') throw new Error('unreachable');
  return { summary: d.summary, ...(d.pin ? { pin: d.pin } : {}), ...(d.list ? { list: d.list } : {}), ...(d.limits ? { limits: d.limits } : {}) };
}

async function boundSession(f: Fakes, pod = PODS[1]!): Promise<void> {
  const t = Date.UTC(2026, 0, 1);
  await f.registry.put({ id: 's-1', server: 'files', kind: 'streamable', pod, revision: '2025-06-18', createdAt: t, lastSeenAt: t });
}

const INIT = rpc('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });

interface ResponseRow {
  name: string;
  setup?: (f: Fakes) => Promise<void>;
  request: string;
  requestHeaders?: Record<string, string>;
  response: UpstreamResponse;
  expect: ResponseDecision | ((d: ResponseDecision, f: Fakes) => void);
}

const RESPONSES: ResponseRow[] = [
  {
    name: 'a new session is bound to the pod that served it, and takes over its session-cap reservation',
    request: INIT,
    response: response(200, { 'mcp-session-id': 'new-1', 'content-type': 'application/json' }, { from: PODS[1] }),
    expect: (d, f) => {
      assert.deepEqual(d, { kind: 'pass', setHeaders: [{ name: 'RateLimit', value: '"per-tool";r=9' }], body: { read: 'chunks', purpose: 'end', rewrites: false } });
      assert.equal(f.registry.bindings.get('files new-1')?.pod, PODS[1]);
      assert.deepEqual(f.limiter.bound.map((b) => b.sessionId), ['new-1']);
    },
  },
  {
    name: 'a response without a body needs nothing read',
    request: INIT,
    response: response(200, { 'mcp-session-id': 'new-2' }, { hasBody: false, from: PODS[0] }),
    expect: { kind: 'pass', setHeaders: [{ name: 'RateLimit', value: '"per-tool";r=9' }] },
  },
  {
    name: "a 400 from the session's own pod: the whole body must be read (it may say the session is gone)",
    setup: boundSession,
    request: rpc('tools/list'),
    requestHeaders: { 'mcp-session-id': 's-1' },
    response: response(400, { 'content-type': 'application/json' }, { from: PODS[1] }),
    expect: { kind: 'pass', setHeaders: [{ name: 'RateLimit', value: '"per-tool";r=9' }], body: { read: 'whole', purpose: 'pinning', rewrites: false } },
  },
  {
    name: "a 404 from another pod is a lagging Envoy's misroute: a retriable 503, the session kept",
    setup: boundSession,
    request: rpc('tools/list', undefined, 5),
    requestHeaders: { 'mcp-session-id': 's-1' },
    response: response(404, {}, { from: PODS[0] }),
    expect: (d, f) => {
      assert.equal(d.kind, 'replace');
      if (d.kind !== 'replace') return;
      assert.equal(d.answer.status, 503);
      assert.equal(d.answer.reason, 'session_misrouted');
      assert.ok(d.answer.headers.some((h) => h.name === 'retry-after' && h.value === '1'));
      assert.equal(JSON.parse(d.answer.body).id, 5);
      assert.ok(f.registry.bindings.has('files s-1'));
    },
  },
  {
    name: "a 404 from the session's own pod ends the session; the pod's answer reaches the client",
    setup: boundSession,
    request: rpc('tools/list'),
    requestHeaders: { 'mcp-session-id': 's-1' },
    response: response(404, {}, { hasBody: false, from: PODS[1] }),
    expect: async (d, f) => {
      assert.deepEqual(d, { kind: 'pass', setHeaders: [{ name: 'RateLimit', value: '"per-tool";r=9' }] });
      await new Promise((r) => setImmediate(r));
      assert.equal(f.registry.bindings.has('files s-1'), false);
    },
  },
];

describe('core response decisions (decideResponse)', () => {
  for (const row of RESPONSES) {
    it(row.name, async () => {
      const f = core();
      await row.setup?.(f);
      const plan = await planFor(f, row.request, row.requestHeaders);
      const d = await f.gateway.decideResponse(plan, row.response);
      if (typeof row.expect === 'function') await row.expect(d, f);
      else assert.deepEqual(d, row.expect);
    });
  }

  it('a list result is read as its framing needs and filtered: JSON whole, SSE in chunks, both rewritten', async () => {
    const f = core();
    const d = await f.gateway.decide(view({ host: 'secure.test', headers: { authorization: 'Bearer alice' }, body: rpc('tools/list', undefined, 3) }), PROCESS);
    assert.ok(d.kind === 'allow' && d.list, 'a list plan');
    const plan: ResponsePlan = { summary: d.summary, list: d.list };
    const json = await f.gateway.decideResponse(plan, response(200, { 'content-type': 'application/json' }));
    assert.deepEqual(json, { kind: 'pass', setHeaders: [], body: { read: 'whole', purpose: 'list', rewrites: true } });
    const sse = await f.gateway.decideResponse(plan, response(200, { 'content-type': 'text/event-stream' }));
    assert.deepEqual(sse, { kind: 'pass', setHeaders: [], body: { read: 'chunks', purpose: 'list', rewrites: true } });

    const tools = [{ name: 'read_file', inputSchema: { type: 'object' } }, { name: 'admin_reset', inputSchema: { type: 'object' } }];
    const res = response(200, { 'content-type': 'application/json' });
    const read = f.gateway.readResponseBody(plan, { read: 'whole', purpose: 'list', rewrites: true }, res);
    const step = await read(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 3, result: { tools } })), true);
    assert.equal(step.kind, 'mutate');
    const shown = step.kind === 'mutate' ? (JSON.parse(Buffer.from(step.body).toString()) as { result: { tools: Array<{ name: string }> } }).result.tools.map((t) => t.name) : [];
    assert.deepEqual(shown, ['read_file'], 'the caller sees only what policy lets it call');
  });

  it("reading a 400 body that says the session is unknown ends the session with the spec's 404", async () => {
    const f = core();
    await boundSession(f);
    const plan = await planFor(f, rpc('tools/list', undefined, 4), { 'mcp-session-id': 's-1' });
    const res = response(400, { 'content-type': 'application/json' }, { from: PODS[1] });
    const d = await f.gateway.decideResponse(plan, res);
    assert.ok(d.kind === 'pass' && d.body);
    const read = f.gateway.readResponseBody(plan, d.body, res);
    const step = await read(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Bad Request: No valid session ID provided' } })), true);
    assert.equal(step.kind, 'replace');
    assert.equal(step.kind === 'replace' && step.answer.status, 404);
  });
});
