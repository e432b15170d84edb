// W3C Trace Context for mcpgw (https://www.w3.org/TR/trace-context/): which trace a request belongs
// to, what mcpgw tells the upstream, and the decision spans when an OTLP endpoint is configured.
// The OpenTelemetry SDK lives in tracingOtel.ts and is imported only by startTracing with an
// endpoint: without one, no SDK module is loaded and the request path pays one `enabled` check.
import type { HeaderToSet } from '../core/index.js';

export interface TraceParent {
  /** 32 lower-case hex characters, not all zero. */
  traceId: string;
  /** 16 lower-case hex characters, not all zero: the caller's span, the parent of the next hop. */
  spanId: string;
  /** trace-flags; bit 0 is "sampled". */
  flags: number;
}

export interface IncomingTrace extends TraceParent {
  tracestate?: string;
  /** The HTTP `traceparent` header, or `params._meta.traceparent` (MCP 2026-07-28) when the header is absent or invalid. */
  source: 'header' | 'meta';
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;

/** A valid traceparent, or undefined (the spec's answer to anything invalid is to ignore it). */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string' || value.length < 55) return undefined;
  // Later versions may append fields after a '-'; version 00 is exactly 55 characters.
  if (value.length > 55 && (value.startsWith('00') || value[55] !== '-')) return undefined;
  const m = TRACEPARENT.exec(value.slice(0, 55));
  if (!m || m[1] === 'ff' || ALL_ZERO.test(m[2]!) || ALL_ZERO.test(m[3]!)) return undefined;
  return { traceId: m[2]!, spanId: m[3]!, flags: parseInt(m[4]!, 16) };
}

export function formatTraceparent(t: TraceParent): string {
  return `00-${t.traceId}-${t.spanId}-${(t.flags & 0xff).toString(16).padStart(2, '0')}`;
}

const TRACESTATE_MEMBER = /^[a-z0-9][a-z0-9_\-*/]{0,255}(@[a-z][a-z0-9_\-*/]{0,13})?=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** The tracestate when well formed (at most 32 members, 512 characters); otherwise undefined, dropped. */
export function parseTracestate(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) return undefined;
  const members = value.split(',').map((m) => m.trim()).filter((m) => m.length > 0);
  if (members.length === 0 || members.length > 32 || !members.every((m) => TRACESTATE_MEMBER.test(m))) return undefined;
  return members.join(',');
}

/**
 * The request's trace: the HTTP header wins (it is what the mesh and Envoy's own tracing use); else
 * `params._meta.traceparent` / `tracestate`. `meta` is the request's `params._meta`, if any.
 */
export function incomingTrace(header: (name: string) => string | undefined, meta?: unknown): IncomingTrace | undefined {
  const fromHeader = parseTraceparent(header('traceparent'));
  if (fromHeader) return withState({ ...fromHeader, source: 'header' }, header('tracestate'));
  if (typeof meta !== 'object' || meta === null) return undefined;
  const m = meta as Record<string, unknown>;
  const fromMeta = parseTraceparent(m['traceparent']);
  return fromMeta ? withState({ ...fromMeta, source: 'meta' }, m['tracestate']) : undefined;
}

function withState(t: IncomingTrace, tracestate: unknown): IncomingTrace {
  const state = parseTracestate(tracestate);
  return state === undefined ? t : { ...t, tracestate: state };
}

/**
 * Headers mcpgw sets on the upstream request so it joins the trace of the audit line.
 * - A valid client header is never touched (mcpgw must not break a trace it did not start).
 * - A trace only in `_meta` is copied to `traceparent` / `tracestate`, so HTTP-level tracing joins it.
 * - `own` is mcpgw's decision span (tracing enabled): it becomes the parent the upstream sees, which
 *   is also how a trace is started when the client sent none.
 */
export function upstreamTraceHeaders(incoming: IncomingTrace | undefined, own: TraceParent | undefined): HeaderToSet[] {
  if (incoming?.source === 'header') return [];
  const parent = own ?? incoming;
  if (!parent) return [];
  const headers: HeaderToSet[] = [{ name: 'traceparent', value: formatTraceparent(parent) }];
  if (incoming?.tracestate) headers.push({ name: 'tracestate', value: incoming.tracestate });
  return headers;
}

export interface TracingOptions {
  /** OTLP/HTTP base URL (e.g. http://otel-collector.observability:4318); `/v1/traces` is appended. Unset: tracing off. */
  otlpEndpoint?: string;
  /** resource `service.name`; default "mcpgw". */
  serviceName?: string;
  /** Fraction of new traces recorded, 0…1 (default 1); a client's sampled flag is always followed. */
  sampleRatio?: number;
  /** Extra export headers (collector auth). */
  headers?: Record<string, string>;
  /** resource `service.instance.id`, e.g. the pod name. */
  instance?: string;
}

/** One decision, recorded as a span when it ends. */
export interface DecisionSpan {
  parent?: IncomingTrace;
  /** How long the decision took; the span ends now. */
  durationMs: number;
  hook: string;
  method?: string;
  /** Tool or prompt name, resource URI. */
  name?: string;
  /** Config server name. */
  server?: string;
  /** The MCP server's host (`:authority` without port). */
  serverAddress?: string;
  jsonRpcId?: string | number;
  protocolVersion?: string;
  /** SessionIdHasher output: raw session ids are bearer secrets and never leave mcpgw. */
  sessionIdHash?: string;
  decision: 'allow' | 'deny';
  reason: string;
}

export interface DecisionTracing {
  /** Check this before building a DecisionSpan: false is the whole cost of tracing when it is off. */
  readonly enabled: boolean;
  /** Records the span; returns its context (the upstream's parent), undefined when tracing is off. */
  recordDecision(span: DecisionSpan): TraceParent | undefined;
  /** Exports what is queued (bounded by the export timeout) and stops; never rejects. */
  shutdown(): Promise<void>;
}

export const TRACING_OFF: DecisionTracing = { enabled: false, recordDecision: () => undefined, shutdown: async () => undefined };

/** Tracing per options: TRACING_OFF without an endpoint, else the OpenTelemetry SDK, loaded now. */
export async function startTracing(opts: TracingOptions): Promise<DecisionTracing> {
  if (!opts.otlpEndpoint) return TRACING_OFF;
  const ratio = opts.sampleRatio ?? 1;
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`tracing sampleRatio must be within 0…1, got ${ratio}`);
  const { OtelDecisionTracing } = await import('./tracingOtel.js');
  return new OtelDecisionTracing({ ...opts, otlpEndpoint: opts.otlpEndpoint, sampleRatio: ratio });
}
