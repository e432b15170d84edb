// Observability end to end: one run through envoy-sim (real SDK clients and pods, JWT and API-key
// callers, an injected upstream credential, a tool denial, a rate-limit refusal, a DELETE), then what
// mcpgw left behind: /metrics (against the dashboard and alert rules too), the audit stream, trace
// propagation to the upstream, decision spans over OTLP/HTTP, and no secret in any log line.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { SecretsGuard } from '../../src/telemetry/index.js';
import { connectClient, rawPost, type RecordedRequest } from '../fixtures/index.js';
import { Clock, TestIssuer, signingKey, type SigningKey } from '../identity/issuer.js';
import { LineSink } from '../telemetry/lines.js';
import { promqlRefs } from '../telemetry/promql.js';
import { scanForSecrets } from '../telemetry/secrets.js';
import { MCP_HEADERS, callOnSession, httpStatusIs, sha256, toolCall, type SdkClient } from './limitsSupport.js';
import { until } from './mesh.js';
import { AFFINITY, pinningConfig } from './pinning.js';
import { startStack, type Stack } from './stack.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RESOURCE = 'http://127.0.0.1/mcp';
const API_KEY = 'mcpgw-obs-api-key-0123456789abcdef';
const INJECTED = 'obs-upstream-credential-5f3a9c1e';
const INJECTED_ENV = 'MCPGW_E2E_OBS_INJECTED';
const TRACE_HEADER = { id: '4bf92f3577b34da6a3ce929d0e0e4736', span: '00f067aa0ba902b7' };
const TRACE_META = { id: '0af7651916cd43dd8448eb211c80319c', span: 'b7ad6b7169203331' };

interface OtlpSpan {
  traceId: string;
  name: string;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string } }>;
}
interface OtlpExport {
  resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
}

/** A tiny OTLP/HTTP (JSON) trace receiver on loopback. */
async function startOtlpReceiver(): Promise<{ endpoint: string; spans: OtlpSpan[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
        spans.push(...body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Prometheus text format → samples. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
function parseMetrics(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1]!, t[2]!);
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

describe('observability after an e2e run', () => {
  let stack: Stack;
  let issuer: TestIssuer;
  let key: SigningKey;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  const audit = new LineSink();
  const guard = new SecretsGuard(['x-api-key']);
  const clock = new Clock(Date.now());
  const secrets: string[] = [API_KEY, INJECTED];
  /** tools/call requests the run made, allowed or refused: each must have exactly one audit line. */
  let toolCalls = 0;
  let metricsText = '';
  const clients: SdkClient[] = [];

  const auditObjects = () => audit.objects;
  const decisions = () => auditObjects().filter((l) => l['event'] === 'decision');
  const podRequest = (pred: (r: RecordedRequest) => boolean) => stack.pods.flatMap((p) => p.requests).find(pred);

  before(async () => {
    key = await signingKey('ES256', 'obs-k1');
    issuer = await TestIssuer.start(clock, [key]);
    otlp = await startOtlpReceiver();
    process.env[INJECTED_ENV] = INJECTED;
    stack = await startStack({
      configFor: (pods) =>
        pinningConfig(pods, {
          server: {
            auth: { resource: RESOURCE },
            upstream: { headers: [{ name: 'x-upstream-credential', fromEnv: INJECTED_ENV, prefix: 'Bearer ' }] },
          },
          top: {
            identity: { issuers: [issuer.issuerOptions({ tenantClaim: 'tenant' })], apiKeys: [{ name: 'obs-bot', sha256: sha256(API_KEY), tenant: 'robots' }] },
            limits: [{ name: 'bot-echo', per: ['principal'], match: { tools: ['echo'], principals: ['apikey:obs-bot'] }, rate: { requests: 2, perSeconds: 60 } }],
            tracing: { otlpEndpoint: otlp.endpoint, serviceName: 'mcpgw-e2e' },
          },
        }),
      cluster: { lb: 'ring_hash', hashHeader: AFFINITY },
      service: { auditStream: audit, secrets: guard },
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.client.close().catch(() => undefined)));
    await stack.close();
    await issuer.stop();
    await otlp.close();
    delete process.env[INJECTED_ENV];
  });

  it('runs: sessions, tool calls, a denial, a rate-limit refusal, unauthenticated calls and a DELETE', async () => {
    const alice = await issuer.sign(key, { aud: RESOURCE, sub: 'alice', tenant: 'acme', scope: 'tools:read' });
    const stranger = await issuer.sign(await signingKey('ES256', 'obs-unknown'), { aud: RESOURCE, sub: 'mallory' });
    secrets.push(alice, stranger);
    const bearer = { authorization: `Bearer ${alice}` };

    const a = await connectClient(stack.url, { headers: bearer });
    clients.push(a);
    await a.client.listTools();
    await a.client.callTool({ name: 'echo', arguments: { text: 'one' } });
    await a.client.callTool({ name: 'whoami', arguments: {} });
    toolCalls += 2;

    // The client's trace and request id, in headers.
    const traced = await callOnSession(stack.url, a, 'echo', { text: 'traced', password: 'hunter2-should-not-be-logged' }, 11, {
      ...bearer,
      'x-request-id': 'req-obs-header',
      traceparent: `00-${TRACE_HEADER.id}-${TRACE_HEADER.span}-01`,
      tracestate: 'vendor=header',
    });
    toolCalls++;
    assert.equal(traced.status, 200);
    // A trace only in params._meta (MCP 2026-07-28 style).
    const meta = await rawPost(
      stack.url,
      toolCall('echo', { text: 'meta' }, 12, { traceparent: `00-${TRACE_META.id}-${TRACE_META.span}-01`, tracestate: 'vendor=meta' }),
      { ...MCP_HEADERS, ...bearer, 'mcp-session-id': a.transport.sessionId as string, 'x-request-id': 'req-obs-meta' },
    );
    toolCalls++;
    assert.equal(meta.status, 200);
    // A denied tool (config tools.deny: delete_*), refused by ext_authz.
    const denied = await callOnSession(stack.url, a, 'delete_everything', {}, 13, { ...bearer, 'x-request-id': 'req-obs-deny' });
    toolCalls++;
    assert.equal(denied.status, 403);

    // An API-key client over its rate limit (2 per minute on echo).
    const bot = await connectClient(stack.url, { headers: { 'x-api-key': API_KEY } });
    clients.push(bot);
    await bot.client.callTool({ name: 'echo', arguments: { text: 'b1' } });
    await bot.client.callTool({ name: 'echo', arguments: { text: 'b2' } });
    await assert.rejects(bot.client.callTool({ name: 'echo', arguments: { text: 'b3' } }), httpStatusIs(429));
    await bot.client.callTool({ name: 'whoami', arguments: {} });
    toolCalls += 4;

    // No credentials, and a token from an unknown key: 401, from the headers-only Check (the body is never read).
    assert.equal((await rawPost(stack.url, toolCall('echo', { text: 'anon' }, 21), MCP_HEADERS)).status, 401);
    assert.equal((await rawPost(stack.url, toolCall('echo', { text: 'bad' }, 22), { ...MCP_HEADERS, authorization: `Bearer ${stranger}` })).status, 401);

    await a.transport.terminateSession(); // DELETE
    await until(async () => auditObjects().some((l) => l['event'] === 'session.end'), 'the DELETE is audited');
    // Every response ended, so every audit line is written.
    await until(() => decisions().filter((l) => l['method'] === 'tools/call').length >= toolCalls, 'every tools/call is audited');

    const r = await fetch(`${stack.httpBase}/metrics`);
    assert.equal(r.status, 200);
    assert.match(String(r.headers.get('content-type')), /text\/plain/);
    metricsText = await r.text();
  });

  it('/metrics: the expected series with plausible values', () => {
    const { samples, types } = parseMetrics(metricsText);
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);

    // The shipped wiring: the Check decides on headers (method "none"), ext_proc reads the body and decides the tool.
    const bodyCalls = { hook: 'ext_proc_request', server: 'demo', method: 'tools/call' };
    assert.ok(value('mcpgw_requests_total', { ...bodyCalls, decision: 'allow', reason: 'allowed' }) >= 7, 'allowed tools/call seen by ext_proc');
    assert.equal(value('mcpgw_requests_total', { ...bodyCalls, decision: 'deny', reason: 'tool_denied' }), 1);
    assert.equal(value('mcpgw_requests_total', { hook: 'ext_authz', method: 'tools/call' }), 0, 'the Check never sees the body');
    assert.equal(value('mcpgw_requests_total', { hook: 'ext_authz', server: 'demo', decision: 'deny' }), 2, 'the two 401s');
    assert.equal(value('mcpgw_requests_total', { hook: 'ext_proc_request', method: 'tools/call', decision: 'deny', reason: 'rate_limited' }), 1);
    assert.ok(value('mcpgw_requests_total', { hook: 'ext_proc_request', method: 'initialize', decision: 'allow' }) >= 2);
    for (const hook of ['ext_authz', 'ext_proc_request', 'ext_proc_response']) {
      const count = value('mcpgw_decision_duration_seconds_count', { hook });
      const sum = value('mcpgw_decision_duration_seconds_sum', { hook });
      assert.ok(count > 0, `decisions timed for ${hook}`);
      assert.ok(sum > 0 && sum / count < 1, `${hook}: mean decision ${sum / count} s`);
      assert.equal(value('mcpgw_decision_duration_seconds_bucket', { hook, le: '+Inf' }), count);
    }
    assert.equal(types.get('mcpgw_decision_duration_seconds'), 'histogram');
    assert.ok(value('mcpgw_sessions_created_total', { server: 'demo', kind: 'streamable' }) >= 2);
    assert.equal(value('mcpgw_sessions_ended_total', { server: 'demo', reason: 'deleted' }), 1);
    const live = samples.filter((s) => s.name === 'mcpgw_sessions_live');
    assert.ok(live.length >= 1 && live.every((s) => s.labels['server'] === 'demo' && stack.pods.some((p) => p.hostKey === s.labels['upstream_pod'])), 'live sessions per pod');
    assert.equal(value('mcpgw_sessions_live'), value('mcpgw_sessions_created_total') - value('mcpgw_sessions_ended_total'));
    assert.ok(types.get('mcpgw_grpc_streams_open') === 'gauge');
    const open = value('mcpgw_grpc_streams_open');
    assert.ok(open >= 0 && open <= 4, `streams open: ${open} (at most the SDK clients' GET streams)`);
    assert.equal(value('mcpgw_limit_refusals_total', { limit: 'bot-echo', reason: 'exceeded' }), 1);
    assert.ok(value('mcpgw_process_cpu_seconds_total') > 0);
    assert.ok(value('mcpgw_process_resident_memory_bytes') > 1e6);
    assert.ok(types.has('mcpgw_nodejs_eventloop_lag_p99_seconds'));
    assert.equal(value('mcpgw_ready'), 1);
  });

  it('every metric the dashboard and the PrometheusRule query exists in the live /metrics output', () => {
    const { types } = parseMetrics(metricsText);
    const served = new Set<string>();
    for (const [name, type] of types) {
      served.add(name);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) served.add(`${name}${s}`);
      if (type === 'summary') for (const s of ['_sum', '_count']) served.add(`${name}${s}`);
    }
    const dashboard = JSON.parse(readFileSync(path.join(root, 'istio/observability/mcpgw-dashboard.json'), 'utf8')) as {
      panels: Array<{ targets?: Array<{ expr: string }> }>;
      templating: { list: Array<{ definition?: string }> };
    };
    const rule = parseAllDocuments(readFileSync(path.join(root, 'istio/observability/prometheusrule.yaml'), 'utf8'))[0]!.toJS() as { spec: { groups: Array<{ rules: Array<{ expr: string }> }> } };
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition.replace(/^label_values\((.*),\s*\w+\)$/, '$1')] : [])),
      ...rule.spec.groups.flatMap((g) => g.rules.map((r) => r.expr)),
    ];
    const used = new Set(exprs.flatMap((e) => [...promqlRefs(e).metrics]));
    used.delete('up'); // Prometheus's own series
    assert.ok(used.size >= 10, `metrics used: ${[...used].join(', ')}`);
    assert.deepEqual([...used].filter((m) => !served.has(m)).sort(), []);
  });

  it('the audit stream: exactly one decision line per tools/call, with the right fields; session start and end; the denials', () => {
    const lines = auditObjects();
    for (const l of lines) assert.equal(l['log'], 'audit');
    const calls = decisions().filter((l) => l['method'] === 'tools/call');
    assert.equal(calls.length, toolCalls, 'one line per tools/call, allowed or refused');
    assert.ok(calls.every((l) => !('arguments' in l) && !('argumentsSha256' in l)), 'arguments are omitted by default');
    const ids = calls.map((l) => l['requestId']);
    assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0), 'every line has the request id');
    assert.equal(new Set(ids).size, ids.length, 'no request is audited twice');

    const traced = calls.filter((l) => l['requestId'] === 'req-obs-header');
    assert.equal(traced.length, 1);
    const t = traced[0]!;
    assert.equal(t['traceId'], TRACE_HEADER.id);
    assert.equal(t['principal'], `jwt:${issuer.issuer}#alice`);
    assert.equal(t['tenant'], 'acme');
    assert.equal(t['server'], 'demo');
    assert.equal(t['name'], 'echo');
    assert.equal(t['decision'], 'allow');
    assert.equal(t['reason'], 'allowed');
    assert.equal(t['status'], 200);
    assert.ok(stack.pods.some((p) => p.hostKey === t['pod']), `pod ${String(t['pod'])}`);
    assert.match(String(t['sessionIdHash']), /^[0-9a-f]{16}$/);
    assert.equal(typeof t['latencyMs'], 'number');
    assert.match(String(t['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const meta = calls.find((l) => l['requestId'] === 'req-obs-meta');
    assert.equal(meta?.['traceId'], TRACE_META.id, 'the _meta trace is the audit trace');

    const deny = calls.find((l) => l['requestId'] === 'req-obs-deny');
    assert.equal(deny?.['decision'], 'deny');
    assert.equal(deny?.['reason'], 'tool_denied');
    assert.equal(deny?.['status'], 403);
    assert.equal(deny?.['name'], 'delete_everything');
    assert.equal(deny?.['principal'], `jwt:${issuer.issuer}#alice`);

    const limited = calls.filter((l) => l['reason'] === 'rate_limited');
    assert.equal(limited.length, 1);
    assert.equal(limited[0]!['status'], 429);
    assert.equal(limited[0]!['principal'], 'apikey:obs-bot');
    // Refused by the headers-only Check: audited as denials of the server, without the method the body would have named.
    const unauthenticated = decisions().filter((l) => l['status'] === 401);
    assert.deepEqual(unauthenticated.map((l) => [l['server'], l['method'], l['reason']]).sort(), [['demo', undefined, 'auth_missing_token'], ['demo', undefined, 'auth_unknown_key']]);
    // Allowed calls carry the pod and the session; all of one session share its hash.
    const allowed = calls.filter((l) => l['decision'] === 'allow');
    assert.equal(allowed.length, toolCalls - 2);
    assert.ok(allowed.every((l) => typeof l['pod'] === 'string' && typeof l['sessionIdHash'] === 'string' && l['status'] === 200));

    const starts = lines.filter((l) => l['event'] === 'session.start');
    const ends = lines.filter((l) => l['event'] === 'session.end');
    assert.equal(starts.length, 2);
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!['reason'], 'deleted');
    assert.equal(ends[0]!['principal'], `jwt:${issuer.issuer}#alice`);
    const aliceStart = starts.find((s) => s['principal'] === `jwt:${issuer.issuer}#alice`);
    assert.ok(aliceStart, 'the session start names its principal');
    assert.equal(ends[0]!['sessionIdHash'], aliceStart['sessionIdHash']);
    assert.equal(t['sessionIdHash'], aliceStart['sessionIdHash'], 'the decision and the session lines hash the session alike');
  });

  it('traces: a client traceparent header reaches the upstream unchanged; a _meta trace is copied to the upstream traceparent', () => {
    const headerReq = podRequest((r) => r.headers['x-request-id'] === 'req-obs-header');
    assert.ok(headerReq, 'the traced call reached a pod');
    assert.equal(headerReq.headers['traceparent'], `00-${TRACE_HEADER.id}-${TRACE_HEADER.span}-01`);
    assert.equal(headerReq.headers['tracestate'], 'vendor=header');

    const metaReq = podRequest((r) => r.headers['x-request-id'] === 'req-obs-meta');
    assert.ok(metaReq, 'the _meta call reached a pod');
    const tp = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(metaReq.headers['traceparent']));
    assert.ok(tp, `upstream traceparent: ${String(metaReq.headers['traceparent'])}`);
    assert.equal(tp[1], TRACE_META.id, 'the upstream joins the _meta trace');
    assert.equal(metaReq.headers['tracestate'], 'vendor=meta');
    // The injected credential reached the upstream (so the secrets scan below is meaningful), the client's token did not.
    assert.equal(headerReq.headers['x-upstream-credential'], `Bearer ${INJECTED}`);
    assert.equal(headerReq.headers['authorization'], undefined);
  });

  it('decision spans over OTLP/HTTP: tools/call <tool> with mcp.method.name and gen_ai.tool.name, in the client trace', async () => {
    await until(() => otlp.spans.some((s) => s.traceId === TRACE_HEADER.id), 'the batch exporter sends the spans', 20_000);
    const span = otlp.spans.find((s) => s.traceId === TRACE_HEADER.id && s.name === 'tools/call echo');
    assert.ok(span, `spans: ${otlp.spans.map((s) => s.name).join(', ')}`);
    const attrs = Object.fromEntries(span.attributes.map((a) => [a.key, a.value.stringValue ?? a.value.intValue]));
    assert.equal(attrs['mcp.method.name'], 'tools/call');
    assert.equal(attrs['gen_ai.tool.name'], 'echo');
    assert.equal(attrs['mcpgw.server'], 'demo');
    assert.equal(attrs['mcpgw.decision'], 'allow');
    assert.equal(attrs['jsonrpc.request.id'], '11');
    const auditHash = decisions().find((l) => l['requestId'] === 'req-obs-header')?.['sessionIdHash'];
    assert.equal(attrs['mcp.session.id'], auditHash, 'the span carries the audit line\'s session id hash');
    for (const s of otlp.spans) for (const a of s.attributes) assert.ok(!secrets.some((x) => String(a.value.stringValue ?? '').includes(x)), `span attribute ${a.key}`);
  });

  it('no secret in any log line: bearer tokens, the API key and the injected credential (and the scanner finds a planted one)', () => {
    const lines = [...stack.logs, ...audit.raw];
    assert.ok(lines.length >= 15, `${lines.length} lines captured`);
    assert.ok(stack.logs.some((l) => l.includes('mcpgw listening')), 'operational lines were captured');
    assert.deepEqual(scanForSecrets(lines, secrets), []);
    assert.ok(!lines.some((l) => l.includes('hunter2-should-not-be-logged')), 'tool arguments never reach a log');

    for (const [i, s] of secrets.entries()) {
      const planted = scanForSecrets([...lines, JSON.stringify({ msg: 'oops', header: `Bearer ${s}` })], secrets);
      assert.equal(planted.length, 1, `the scanner finds planted secret #${i}`);
      assert.equal(planted[0]!.secretIndex, i);
      assert.ok(!planted[0]!.masked.includes(s), 'and never prints it');
    }
  });
});
