// Logs, metrics, the audit log and tracing.
export { createLogger, type Logger } from './logger.js';
export { GatewayMetrics, type Hook } from './metrics.js';
export { AuditLog, auditFieldsOf, isAudited, type AuditOptions, type AuditDestination, type AuditArguments, type AuditDecision, type AuditSession } from './audit.js';
export { SessionIdHasher } from './auditHash.js';
export { compileJsonPath } from './auditRedact.js';
export { SecretsGuard, MIN_SECRET_LENGTH } from './auditSecrets.js';
export {
  startTracing, incomingTrace, upstreamTraceHeaders, TRACING_OFF,
  type DecisionTracing, type DecisionSpan, type TracingOptions, type TraceParent, type IncomingTrace,
} from './tracing.js';
export { DecisionObserver, type DecisionFacts, type ObserverDeps, type PendingAudit } from './observer.js';
export { ExtProcCoverage, EXT_PROC_ABSENT_AFTER_CHECKS } from './extProcCoverage.js';
