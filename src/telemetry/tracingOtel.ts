// The OpenTelemetry half of tracing.ts, imported only when an OTLP endpoint is configured.
// Span names and attributes follow the OpenTelemetry MCP semantic conventions: name
// `{mcp.method.name} {target}` with the tool or prompt name as target (a resource URI is an attribute,
// never part of the name: unbounded cardinality). Kind INTERNAL: mcpgw is neither the MCP client nor
// the server, it decides beside the call. The provider is private (not registered globally), so
// nothing else in the process starts exporting through it.
import { createTraceState, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { DecisionSpan, DecisionTracing, TraceParent, TracingOptions } from './tracing.js';

const EXPORT_TIMEOUT_MS = 2000;

export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

function attributesOf(s: DecisionSpan): Attributes {
  const a: Attributes = { 'mcpgw.hook': s.hook, 'mcpgw.decision': s.decision, 'mcpgw.reason': s.reason };
  if (s.method !== undefined) a['mcp.method.name'] = s.method;
  if (s.name !== undefined) {
    if (s.method === 'tools/call') a['gen_ai.tool.name'] = s.name;
    else if (s.method === 'prompts/get') a['gen_ai.prompt.name'] = s.name;
    else if (s.method === 'resources/read') a['mcp.resource.uri'] = s.name;
  }
  if (s.sessionIdHash !== undefined) a['mcp.session.id'] = s.sessionIdHash;
  if (s.protocolVersion !== undefined) a['mcp.protocol.version'] = s.protocolVersion;
  if (s.jsonRpcId !== undefined) a['jsonrpc.request.id'] = String(s.jsonRpcId);
  if (s.serverAddress !== undefined) a['server.address'] = s.serverAddress;
  if (s.server !== undefined) a['mcpgw.server'] = s.server;
  if (s.decision === 'deny') a['error.type'] = s.reason;
  return a;
}

function spanName(s: DecisionSpan): string {
  const method = s.method ?? 'mcpgw.decision';
  const target = s.method === 'tools/call' || s.method === 'prompts/get' ? s.name : undefined;
  return target === undefined ? method : `${method} ${target}`;
}

export class OtelDecisionTracing implements DecisionTracing {
  readonly enabled = true;
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;

  constructor(opts: TracingOptions & { otlpEndpoint: string; sampleRatio: number }) {
    // A collector that does not answer costs at most EXPORT_TIMEOUT_MS per batch, also at shutdown
    // (the SDK's 10 s default would outlast the pod's shutdown grace).
    const exporter = new OTLPTraceExporter({ url: tracesUrl(opts.otlpEndpoint), headers: opts.headers ?? {}, timeoutMillis: EXPORT_TIMEOUT_MS });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': opts.serviceName ?? 'mcpgw',
        ...(opts.instance ? { 'service.instance.id': opts.instance } : {}),
      }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.sampleRatio) }),
      // Batched, bounded queue: exporting never blocks a decision, and a dead collector drops spans.
      spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 2048 })],
    });
    this.tracer = this.provider.getTracer('mcpgw');
  }

  recordDecision(s: DecisionSpan): TraceParent {
    const p = s.parent;
    const parent = p
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId: p.traceId,
          spanId: p.spanId,
          traceFlags: p.flags & 1,
          isRemote: true,
          ...(p.tracestate ? { traceState: createTraceState(p.tracestate) } : {}),
        })
      : ROOT_CONTEXT;
    const end = performance.timeOrigin + performance.now();
    const span = this.tracer.startSpan(spanName(s), { kind: SpanKind.INTERNAL, startTime: end - s.durationMs, attributes: attributesOf(s) }, parent);
    if (s.decision === 'deny') span.setStatus({ code: SpanStatusCode.ERROR, message: s.reason });
    span.end(end);
    const c = span.spanContext();
    return { traceId: c.traceId, spanId: c.spanId, flags: c.traceFlags };
  }

  /** Never rejects: spans a dead collector did not take are lost either way, and stopping goes on. */
  async shutdown(): Promise<void> {
    await this.provider.shutdown().catch(() => undefined);
  }
}
