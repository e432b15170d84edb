// Decision spans exported over OTLP/HTTP (JSON) to a receiver started here on loopback.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { incomingTrace, startTracing, upstreamTraceHeaders } from '../../src/telemetry/tracing.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number; message?: string };
  attributes: Array<{ key: string; value: { stringValue?: string } }>;
}
interface OtlpExport {
  resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
}

const TID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SID = '00f067aa0ba902b7';

let server: Server;
let endpoint: string;
const received: Array<{ contentType: string | undefined; body: OtlpExport }> = [];

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      received.push({ contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const attrs = (s: OtlpSpan) => Object.fromEntries(s.attributes.map((a) => [a.key, a.value.stringValue]));

describe('decision spans over OTLP/HTTP', () => {
  test('a tools/call allow under the client\'s trace and a denial that starts its own, both exported on shutdown', async () => {
    const tracing = await startTracing({ otlpEndpoint: `${endpoint}/`, serviceName: 'mcpgw-test', instance: 'mcpgw-0' });
    assert.equal(tracing.enabled, true);

    const client = incomingTrace((n) => (n === 'traceparent' ? `00-${TID}-${SID}-01` : undefined));
    const allowed = tracing.recordDecision({
      parent: client, durationMs: 0.3, hook: 'ext_proc_request', method: 'tools/call', name: 'get_weather', server: 'files',
      serverAddress: 'mcp.example.com', jsonRpcId: 7, protocolVersion: '2025-11-25', sessionIdHash: '0123456789abcdef', decision: 'allow', reason: 'allowed',
    });
    assert.equal(allowed?.traceId, TID, 'the decision span joins the client\'s trace');
    assert.deepEqual(upstreamTraceHeaders(client, allowed), [], 'and the client\'s header goes upstream untouched');

    const denied = tracing.recordDecision({ durationMs: 0.1, hook: 'ext_authz', method: 'resources/read', name: 'file:///etc/shadow', decision: 'deny', reason: 'resource_denied' });
    assert.ok(denied && denied.traceId !== TID && (denied.flags & 1) === 1, 'no client trace: a sampled root starts one');
    assert.deepEqual(upstreamTraceHeaders(undefined, denied), [{ name: 'traceparent', value: `00-${denied.traceId}-${denied.spanId}-01` }]);

    await tracing.shutdown();
    assert.ok(received.length >= 1);
    assert.match(received[0]!.contentType ?? '', /application\/json/);
    const resource = Object.fromEntries(received[0]!.body.resourceSpans[0]!.resource.attributes.map((a) => [a.key, a.value.stringValue]));
    assert.equal(resource['service.name'], 'mcpgw-test');
    assert.equal(resource['service.instance.id'], 'mcpgw-0');

    const spans = received.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
    const call = spans.find((s) => s.name === 'tools/call get_weather');
    assert.ok(call, `spans: ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(call.traceId, TID);
    assert.equal(call.parentSpanId, SID);
    assert.equal(call.spanId, allowed!.spanId);
    assert.equal(call.kind, 1, 'SPAN_KIND_INTERNAL');
    assert.deepEqual(attrs(call), {
      'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'get_weather', 'mcp.session.id': '0123456789abcdef', 'mcp.protocol.version': '2025-11-25',
      'jsonrpc.request.id': '7', 'server.address': 'mcp.example.com', 'mcpgw.server': 'files', 'mcpgw.hook': 'ext_proc_request',
      'mcpgw.decision': 'allow', 'mcpgw.reason': 'allowed',
    });
    assert.notEqual(call.status?.code, 2);

    const read = spans.find((s) => s.spanId === denied.spanId);
    assert.equal(read?.name, 'resources/read', 'a resource URI is an attribute, never in the span name');
    assert.equal(attrs(read!)['mcp.resource.uri'], 'file:///etc/shadow');
    assert.equal(attrs(read!)['error.type'], 'resource_denied');
    assert.deepEqual(read!.status, { code: 2, message: 'resource_denied' });
  });

  test('an unsampled client trace is followed: the span is not exported, its ids still propagate', async () => {
    const before = received.length;
    const tracing = await startTracing({ otlpEndpoint: endpoint, sampleRatio: 1 });
    const client = incomingTrace(() => undefined, { traceparent: `00-${TID}-${SID}-00` });
    const own = tracing.recordDecision({ parent: client, durationMs: 0.1, hook: 'ext_authz', method: 'tools/call', name: 'x', decision: 'allow', reason: 'allowed' });
    await tracing.shutdown();
    assert.equal(received.length, before);
    assert.equal(own?.traceId, TID);
    assert.equal(own && own.flags & 1, 0);
    assert.match(upstreamTraceHeaders(client, own)[0]?.value ?? '', new RegExp(`^00-${TID}-[0-9a-f]{16}-00$`));
  });
});
