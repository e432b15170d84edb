// What the core asks of the limits (src/limits implements it): one check per request message, and
// what an admitted request holds described as data (a lease), given back or bound to the session by
// the limiter that took it, so a decision carries no closures.

export interface LimitRequest {
  server: string;
  /** JSON-RPC method. */
  method: string;
  /** Tool, resource or prompt name, when the method names one. */
  tool?: string;
  principal?: string;
  tenant?: string;
  /** Mcp-Session-Id of an existing session: keeps it counted (sliding expiry). */
  sessionId?: string;
  /** An initialize that will create a session: reserves a slot in every session cap. */
  isNewSession: boolean;
  /** ms since epoch; tests only. Otherwise the store's clock decides (see docs/limits.md, "Time"). */
  now?: number;
}

export type UnavailablePolicy = 'fail-open' | 'fail-closed';

export type RefusalReason = 'exceeded' | 'store_unavailable' | 'anomaly';

export interface LimitHeader {
  name: string;
  value: string;
}

export interface AnomalyFlag {
  principal: string;
  /** tools/call attempted by the principal in the current minute, this one included. */
  perMinute: number;
  baseline: number;
  throttled: boolean;
}

export interface LimitVerdict {
  allowed: boolean;
  refused?: {
    limit: string;
    retryAfterSeconds: number;
    /** The refusing limit's RateLimit-Policy item. */
    policy: string;
    reason: RefusalReason;
  };
  /** RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers), plus Retry-After when refused. */
  headers: LimitHeader[];
  /** What an allowed request holds until its response ends (concurrency slots, session reservations). */
  lease?: LimitLease;
  /** The store could not answer and this policy decided. */
  degraded?: UnavailablePolicy;
  anomaly?: AnomalyFlag;
}

/** One counter entry a request holds: a concurrency slot, or a session-cap reservation awaiting its session id. */
export interface LeasedEntry {
  kind: 'slot' | 'reservation';
  /** Counter key, engine-relative. */
  key: string;
  /** The entry's member in the counter (named by the request's token). */
  member: string;
}

export interface LimitLease {
  server: string;
  entries: readonly LeasedEntry[];
  /** Taken from this replica's own fallback counters while the store was down (fail-open): given back there. */
  local: boolean;
}

export interface Limiter {
  /** Decides one request message against every limit it meets. Never rejects. */
  check(r: LimitRequest): Promise<LimitVerdict>;
  /** Gives back the lease's slots and its session reservations not bound by then. Idempotent, never rejects. */
  release(lease: LimitLease): Promise<void>;
  /** The session the response named takes over the lease's reservations (`sessionEnded` frees them later). Never rejects. */
  bindSession(lease: LimitLease, sessionId: string): Promise<void>;
}
