// The audit log: one JSON line per decision that matters (every tools/call, resources/read and
// prompts/get, every denial) and per session start and end. Its own pino instance and destination, so
// operational log levels and shipping never drop or mix in audit lines; every line carries
// `"log":"audit"` for shippers that read both from stdout. docs/observability.md shows the format.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Decision } from '../core/index.js';
import { canonicalJson, SessionIdHasher, sha256Hex } from './auditHash.js';
import { compileJsonPath, redactJson, type CompiledPath } from './auditRedact.js';
import type { SecretsGuard } from './auditSecrets.js';

export type AuditDestination = 'stdout' | { file: string } | { stream: NodeJS.WritableStream };
/** Tool / prompt arguments: left out (default), SHA-256 of their canonical JSON, or logged with paths redacted. */
export type AuditArguments = 'omit' | 'hash' | { redact: readonly string[] };

export interface AuditOptions {
  destination: AuditDestination;
  arguments: AuditArguments;
  /** Key for session id hashes; give every replica the same one to correlate across them. Default: random per process. */
  salt?: string;
  /** This mcpgw replica (its pod name), on every line. */
  instance?: string;
  /** Scrubs registered secrets and credential fields from every line. */
  secrets?: SecretsGuard;
  /** Redacted arguments whose JSON exceeds this are replaced by their hash. Default 4096. */
  maxArgumentsBytes?: number;
  /** A failed write (disk full, closed pipe); the audit log never throws into the request path. */
  onError?: (err: Error) => void;
}

/** One request decision. Optional fields are left out of the line when unknown. */
export interface AuditDecision {
  requestId?: string;
  traceId?: string;
  principal?: string;
  tenant?: string;
  server?: string;
  method?: string;
  /** Tool or prompt name, resource URI, task id. */
  name?: string;
  decision: 'allow' | 'deny';
  reason: string;
  /** HTTP status the client got (denials) or the upstream answered, when known. */
  status?: number;
  /** Envoy host key (ip:port) of the MCP server pod, when pinned. */
  pod?: string;
  /** The raw Mcp-Session-Id; only its keyed hash is written. */
  sessionId?: string;
  latencyMs?: number;
  /** params.arguments of a tools/call or prompts/get, written per `AuditOptions.arguments`. */
  arguments?: unknown;
  /** The configuration version the decision was made under (docs/control-plane.md). */
  configVersion?: string;
}

export interface AuditSession {
  sessionId: string;
  server: string;
  pod: string;
  kind?: string;
  principal?: string;
  tenant?: string;
  requestId?: string;
  traceId?: string;
}

const AUDITED_METHODS = new Set(['tools/call', 'resources/read', 'prompts/get']);

/** Whether a decision gets a line: every denial, and allows of the audited methods (also inside a batch). */
export function isAudited(method: string | undefined, decision: 'allow' | 'deny'): boolean {
  if (decision === 'deny') return true;
  if (method === undefined) return false;
  return AUDITED_METHODS.has(method) || (method.includes(',') && method.split(',').some((m) => AUDITED_METHODS.has(m)));
}

/**
 * The decision-derived fields of an audit line. A `respond` (mcpgw answered itself, e.g. protected
 * resource metadata) is logged as an allow with its reason: the client was not refused.
 */
export function auditFieldsOf(d: Decision): Pick<AuditDecision, 'server' | 'method' | 'name' | 'principal' | 'tenant' | 'decision' | 'reason' | 'status'> {
  const { server, method, name, principal } = d.summary;
  const base = { server, method, name, principal };
  switch (d.kind) {
    case 'allow':
      return { ...base, principal: principal ?? d.principal?.id, tenant: d.principal?.tenant, decision: 'allow', reason: 'allowed' };
    case 'deny':
      return { ...base, decision: 'deny', reason: d.reason, status: d.status };
    default:
      return { ...base, decision: 'allow', reason: d.reason, status: d.status };
  }
}

type ArgumentsWriter = (args: unknown) => Record<string, unknown>;

function argumentsWriter(mode: AuditArguments, maxBytes: number): ArgumentsWriter {
  if (mode === 'omit') return () => ({});
  if (mode === 'hash') return (args) => ({ argumentsSha256: sha256Hex(canonicalJson(args)) });
  const paths: CompiledPath[] = mode.redact.map(compileJsonPath);
  return (args) => {
    const redacted = redactJson(args, paths);
    if (Buffer.byteLength(JSON.stringify(redacted)) <= maxBytes) return { arguments: redacted };
    return { argumentsTruncated: true, argumentsSha256: sha256Hex(canonicalJson(args)) };
  };
}

/**
 * A pipe's atomic write size (PIPE_BUF on Linux): a write no larger reaches stdout whole, never
 * interleaved with the operational log's lines.
 */
const ATOMIC_BYTES = 4096;

/**
 * Gathers whole lines into writes of at most ATOMIC_BYTES (a longer line goes alone), flushed at
 * least once a second: one syscall per line was the audit log's main cost (docs/performance.md).
 * Done here rather than by sonic-boom's minLength, which measures its whole pending buffer
 * (Buffer.byteLength) again on every line written: a quarter of a line's cost.
 */
class LineBatch {
  private pending: string[] = [];
  private bytes = 0;

  constructor(private readonly out: { write(chunk: string): unknown }) {}

  write(line: string): boolean {
    const n = Buffer.byteLength(line);
    if (this.bytes + n > ATOMIC_BYTES) this.flush();
    this.pending.push(line);
    this.bytes += n;
    return true;
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.bytes = 0;
    this.out.write(chunk);
  }
}

export class AuditLog {
  readonly sessionIds: SessionIdHasher;
  private readonly logger: Logger;
  /** Where lines go: the caller's stream, or the batch in front of the file / stdout. */
  private readonly destination: { write(line: string): unknown };
  /** The file or stdout mcpgw opened (not a caller's stream), and the batch in front of it. */
  private readonly owned?: { boom: ReturnType<typeof pino.destination>; batch: LineBatch };
  private readonly writeArguments: ArgumentsWriter;
  /** `,"instance":…` as pino writes the base binding, or ''. */
  private readonly instanceField: string;
  /** Top-level fields pino's redact would censor: a line with one goes through pino. */
  private readonly redacted: ReadonlySet<string>;
  private flushTimer?: NodeJS.Timeout;

  /** Opens the destination (a file is created with its directory); throws on an invalid redact path. */
  constructor(private readonly opts: AuditOptions) {
    this.writeArguments = argumentsWriter(opts.arguments, opts.maxArgumentsBytes ?? 4096);
    this.sessionIds = new SessionIdHasher(opts.salt);
    this.instanceField = opts.instance ? `,"instance":${JSON.stringify(opts.instance)}` : '';
    this.redacted = opts.secrets?.redactedFields() ?? new Set();
    const d = opts.destination;
    if (typeof d === 'object' && 'stream' in d) this.destination = d.stream;
    else {
      // Synchronous, as pino's own default: each batch is one write(2) on this thread. Asynchronous
      // writes cost a thread-pool round trip per batch, ~10 µs of a request at 16 in flight (docs/performance.md).
      const boom = pino.destination({ dest: d === 'stdout' ? 1 : d.file, sync: true, mkdir: true });
      const batch = new LineBatch(boom);
      this.owned = { boom, batch };
      this.destination = batch;
      this.flushTimer = setInterval(() => (batch.flush(), boom.flush()), 1000);
      this.flushTimer.unref();
    }
    const onError = opts.onError ?? ((err: Error) => process.emitWarning(`audit log write failed: ${err.message}`));
    this.owned?.boom.on('error', onError);
    this.logger = pino(
      {
        level: 'info',
        base: opts.instance ? { instance: opts.instance } : null,
        timestamp: pino.stdTimeFunctions.isoTime,
        // Where operational lines say their level, audit lines say what they are (pino writes this first).
        formatters: { level: () => ({ log: 'audit' }) },
        ...opts.secrets?.loggerOptions(),
      },
      this.destination as DestinationStream,
    );
  }

  /** Writes the decision when isAudited says it matters; returns whether it did. */
  record(e: AuditDecision): boolean {
    if (!isAudited(e.method, e.decision)) return false;
    const { sessionId, arguments: args, ...fields } = e;
    this.write({
      event: 'decision',
      ...fields,
      ...(sessionId !== undefined ? { sessionIdHash: this.sessionIds.hash(sessionId) } : {}),
      ...(args !== undefined ? this.writeArguments(args) : {}),
    });
    return true;
  }

  sessionStarted(s: AuditSession): void {
    const { sessionId, ...fields } = s;
    this.write({ event: 'session.start', ...fields, sessionIdHash: this.sessionIds.hash(sessionId) });
  }

  /** `reason`: deleted, expired, pod_gone, upstream_lost (the mcpgw_sessions_ended_total reasons). */
  sessionEnded(s: AuditSession & { reason: string; durationMs?: number }): void {
    const { sessionId, ...fields } = s;
    this.write({ event: 'session.end', ...fields, sessionIdHash: this.sessionIds.hash(sessionId) });
  }

  /**
   * One line, as pino writes it (`{"log":"audit","time":…,"instance":…,` then the fields), serialized
   * by one JSON.stringify: pino's field-by-field asJson and its isoTime were 7 of a line's 8.5 µs
   * (docs/performance.md). A line with an object field (redacted arguments) or a field pino's redact
   * censors still goes through pino; every line gets the secrets scrub pino's streamWrite hook applies.
   */
  private write(obj: Record<string, unknown>): void {
    for (const k in obj) {
      const v = obj[k];
      if ((typeof v === 'object' && v !== null) || this.redacted.has(k)) {
        this.logger.info(obj);
        return;
      }
    }
    const fields = JSON.stringify(obj);
    const line = `{"log":"audit","time":"${new Date().toISOString()}"${this.instanceField},${fields.slice(1)}\n`;
    this.destination.write(this.opts.secrets ? this.opts.secrets.scrub(line) : line);
  }

  /** Flushes; closes a file destination (stdout and caller-owned streams stay open). */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    if (!this.owned) return;
    const { boom, batch } = this.owned;
    batch.flush();
    if (this.opts.destination === 'stdout') {
      await new Promise<void>((resolve) => boom.flush(() => resolve()));
      return;
    }
    await new Promise<void>((resolve) => {
      boom.once('close', () => resolve());
      boom.end();
    });
  }
}
