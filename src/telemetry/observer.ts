// What every decision leaves behind besides the reply: metrics, the operational log line of a
// refusal, the audit line and the decision span. Adapters call it; the core stays free of effects.
import type { Decision, HeaderToSet } from '../core/index.js';
import type { AuditDecision, AuditLog } from './audit.js';
import { ExtProcCoverage } from './extProcCoverage.js';
import type { Logger } from './logger.js';
import type { GatewayMetrics, Hook } from './metrics.js';
import { incomingTrace, upstreamTraceHeaders, type DecisionTracing } from './tracing.js';

export interface DecisionFacts {
  hook: Hook;
  header(name: string): string | undefined;
  authority: string;
  /** The decision is this hook's last word on the request (not ext_proc's headers-only pre-check). */
  final: boolean;
  seconds: number;
  /** The single request's params (for _meta trace context and audited arguments). */
  params?: Record<string, unknown>;
  jsonRpcId?: string | number;
}

/** An allowed request whose audit line waits for the response (status, serving pod). */
export interface PendingAudit {
  entry: AuditDecision;
}

export interface ObserverDeps {
  metrics: GatewayMetrics;
  logger: Logger;
  audit?: AuditLog;
  tracing: DecisionTracing;
  /** The hook that writes allow lines and trace headers: ext_proc when Envoy runs it, else ext_authz. */
  auditHook: 'ext_authz' | 'ext_proc';
  /** The configuration version decisions are made under now (live configuration). */
  configVersion?: () => string;
}

export class DecisionObserver {
  /** Only when Envoy is meant to run ext_proc (auditHook follows the `extProc` setting). */
  private readonly coverage: ExtProcCoverage | undefined;

  constructor(private readonly deps: ObserverDeps) {
    this.coverage = deps.auditHook === 'ext_proc' ? new ExtProcCoverage(deps.metrics.registry, deps.logger) : undefined;
  }

  /** Records the decision; returns the trace headers to add upstream and, for allows, the audit line to finish. */
  decided(f: DecisionFacts, d: Decision): { traceHeaders: HeaderToSet[]; pending?: PendingAudit } {
    const { metrics, logger, audit, tracing } = this.deps;
    // Once per request and hook: ext_proc's headers-only pre-check is counted only when it is the
    // last word (a refusal); its allow is followed by the body's decision.
    if (f.final || d.kind !== 'allow') metrics.observeDecision(f.hook, d, f.seconds);
    else metrics.observeLatency(f.hook, f.seconds);
    this.observeCoverage(f.hook, d);
    // Metrics and the audit log carry refusals; at info a flood of 401s would be a flood of lines.
    if (d.kind === 'deny') logger.debug({ hook: f.hook, reason: d.reason, status: d.status, ...d.summary }, 'request denied');
    const auditing = f.hook === 'ext_authz' ? this.deps.auditHook === 'ext_authz' : this.deps.auditHook === 'ext_proc';
    const s = d.summary;
    const incoming = incomingTrace(f.header, f.params?._meta);
    const decision: 'allow' | 'deny' = d.kind === 'deny' ? 'deny' : 'allow';
    const reason = d.kind === 'allow' ? (d.limits?.anomaly ? 'allowed_anomaly' : 'allowed') : d.reason;
    let own;
    if (tracing.enabled && (d.kind === 'deny' || (auditing && f.final))) {
      const sessionId = f.header('mcp-session-id');
      own = tracing.recordDecision({
        // mcp.session.id: the audit line's keyed hash, never the raw id (a bearer credential).
        ...(sessionId && audit ? { sessionIdHash: audit.sessionIds.hash(sessionId) } : {}),
        ...(incoming ? { parent: incoming } : {}),
        durationMs: f.seconds * 1000,
        hook: f.hook,
        decision,
        reason,
        serverAddress: f.authority.replace(/:\d+$/, ''),
        ...(s.method ? { method: s.method } : {}),
        ...(s.name ? { name: s.name } : {}),
        ...(s.server ? { server: s.server } : {}),
        ...(s.revision ? { protocolVersion: s.revision } : {}),
        ...(f.jsonRpcId !== undefined ? { jsonRpcId: f.jsonRpcId } : {}),
      });
    }
    // An allow this hook does not audit (ext_authz before ext_proc, ext_proc's headers pre-check) and a
    // local answer leave no line: nothing more is built for them.
    if (d.kind === 'respond' || (d.kind === 'allow' && (!auditing || !f.final))) return { traceHeaders: [] };
    const traceId = own?.traceId ?? incoming?.traceId;
    // Built field by field (same keys, same order as spreading pick()s, without an object per field).
    const entry: AuditDecision = { decision, reason, latencyMs: Math.round(f.seconds * 1e6) / 1000 };
    const sessionId = f.header('mcp-session-id');
    put(entry, 'requestId', f.header('x-request-id'));
    put(entry, 'traceId', traceId);
    put(entry, 'server', s.server);
    put(entry, 'method', s.method);
    put(entry, 'name', s.name);
    put(entry, 'principal', s.principal);
    put(entry, 'tenant', d.kind === 'allow' ? d.principal?.tenant : undefined);
    put(entry, 'sessionId', sessionId);
    put(entry, 'arguments', f.params?.arguments);
    put(entry, 'configVersion', this.deps.configVersion?.());
    if (d.kind === 'deny') {
      entry.status = d.status;
      audit?.record(entry);
      return { traceHeaders: [] };
    }
    const traceHeaders = upstreamTraceHeaders(incoming, own);
    // ext_authz never sees the response: its line is complete now.
    if (f.hook === 'ext_authz') {
      audit?.record(entry);
      return { traceHeaders };
    }
    return audit ? { traceHeaders, pending: { entry } } : { traceHeaders };
  }

  private observeCoverage(hook: Hook, d: Decision): void {
    const server = d.summary.server;
    if (!this.coverage || !server) return;
    if (hook === 'ext_proc_request') this.coverage.processed(server);
    else if (hook === 'ext_authz' && d.kind === 'allow') this.coverage.checked(server);
  }

  /** Completes an allow line once the response (or the end of the stream) is known. */
  responded(p: PendingAudit | undefined, r: { status?: number; pod?: string; sessionId?: string }): void {
    if (!p || !this.deps.audit) return;
    const line: AuditDecision = { ...p.entry };
    put(line, 'status', r.status);
    put(line, 'pod', r.pod);
    if (!p.entry.sessionId) put(line, 'sessionId', r.sessionId);
    this.deps.audit.record(line);
  }
}

/** Sets entry[key] unless the value is undefined or '' (what pick() leaves out). */
function put<K extends keyof AuditDecision>(entry: AuditDecision, key: K, value: AuditDecision[K] | undefined): void {
  if (value !== undefined && value !== '') entry[key] = value as AuditDecision[K];
}

function pick<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined || value === '' ? {} : { [key]: value }) as { [P in K]?: V };
}
