// What a limit is (config). What the core asks (LimitRequest) and what it gets back (LimitVerdict) are
// the core's (src/core/limitPort.ts), re-exported here.
// Plain types, no zod: the config module maps `limits:` YAML onto LimitsOptions, so field names read
// like the YAML (`per: [principal, tool]`, `rate: { requests: 10, perSeconds: 1, burst: 20 }`).
import type { UnavailablePolicy } from '../core/index.js';

export type { AnomalyFlag, LimitHeader, LimitLease, LimitRequest, LimitVerdict, RefusalReason, UnavailablePolicy } from '../core/index.js';

/** A request attribute a limit can be keyed on. `tool` is the tool, resource or prompt name. */
export type Dimension = 'tenant' | 'principal' | 'server' | 'method' | 'tool';

export type WindowLength = 'second' | 'minute' | 'hour' | 'day' | { seconds: number };

/** Globs (`*`, `?`) choosing which requests a limit counts; an absent list matches everything. */
export interface LimitMatch {
  servers?: string[];
  methods?: string[];
  /** Tool, resource or prompt names; a request without one does not match. */
  tools?: string[];
  tenants?: string[];
  principals?: string[];
}

/** Smooth rate (GCRA): `requests` per `perSeconds`, at most `burst` at once (default: `requests`). */
export interface RateSpec {
  requests: number;
  perSeconds: number;
  burst?: number;
}

/** Requests per window: fixed (aligned to the epoch, UTC) or sliding (weighted two-window). */
export interface QuotaSpec {
  requests: number;
  window: WindowLength;
  sliding?: boolean;
}

/** Calls in flight; each slot is a lease, so a crashed replica's slots expire. */
export interface ConcurrencySpec {
  max: number;
  /** A slot not released within this time is freed anyway. Default 300. */
  leaseSeconds?: number;
}

/** Live MCP sessions, counted at initialize and freed when the session ends or expires. */
export interface SessionsSpec {
  max: number;
}

/** Cost units per window; each request costs `costs[tool glob]` or `defaultCost` (default 1). */
export interface CostSpec {
  budget: number;
  window: WindowLength;
  sliding?: boolean;
  costs: Record<string, number>;
  defaultCost?: number;
}

export interface LimitConfig {
  /** Shown in 429 answers, RateLimit headers and metrics: letters, digits, `_`, `.`, `-`. */
  name: string;
  /** The partition key: one counter per distinct combination. [] is one global counter. */
  per: Dimension[];
  match?: LimitMatch;
  /** Exactly one of the five kinds. */
  rate?: RateSpec;
  quota?: QuotaSpec;
  concurrency?: ConcurrencySpec;
  sessions?: SessionsSpec;
  cost?: CostSpec;
  /** Store unreachable: 'fail-open' (default) counts locally at limit / replicas; 'fail-closed' refuses. */
  whenUnavailable?: UnavailablePolicy;
}

export interface AnomalyOptions {
  /** A minute with more than factor × baseline tools/call is flagged. */
  factor: number;
  /** Floor of the baseline, so quiet or new principals are not flagged for a handful of calls. */
  minBaseline: number;
  /** Refuse calls above the baseline while a principal is flagged (this minute and the next). */
  throttle: boolean;
  /** Span of the moving average in minutes (EWMA alpha = 2 / (span + 1)). Default 60. */
  baselineMinutes?: number;
}

export interface LimitsOptions {
  limits: LimitConfig[];
  /** mcpgw replicas sharing the store; the fail-open fallback allows limit / replicas locally. */
  replicas: number;
  anomaly?: AnomalyOptions;
  /** Send RateLimit-Policy / RateLimit on allowed responses too (refusals always carry them). */
  headers?: boolean;
  /** Sliding lifetime of a session (the session registry's TTL): how long a session counts without traffic. */
  sessionTtlSeconds?: number;
  /** Most counters an in-process engine keeps (least recently used dropped first). Default 100,000. */
  memoryCounters?: number;
}

/** One limit as `usage(tenant)` reports it. */
export interface LimitUsage {
  name: string;
  kind: LimitKind;
  per: Dimension[];
  /** The headline number from config: requests, max or budget. */
  configured: number;
  override?: number;
  effective: number;
  windowSeconds?: number;
  /** Present when the limit is keyed on the tenant alone, so one counter is the tenant's usage. */
  used?: number;
  remaining?: number;
  resetSeconds?: number;
}

export interface TenantUsage {
  tenant: string;
  limits: LimitUsage[];
}

export type LimitKind = 'rate' | 'quota' | 'concurrency' | 'sessions' | 'cost';
