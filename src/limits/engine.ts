// The contract between the Limiter and where counters live (memory or Redis). A Plan is every limit
// that applies to one request; an engine evaluates all of them at once and commits only if every
// one admits the request, so a request refused by one limit consumes none of the others.
import { createHash } from 'node:crypto';
import type { AnomalyParams } from './anomaly.js';
import type { CompiledLimit } from './compile.js';

export interface PlannedLimit {
  limit: CompiledLimit;
  /** Counter key, engine-relative (compile.ts counterKey). */
  key: string;
  /** Units this request takes; 0 reads (and for sessions refreshes) without counting. */
  cost: number;
  /** Whose overrides apply, for limits partitioned by tenant. */
  tenant?: string;
}

export interface PlannedAnomaly {
  principal: string;
  key: string;
  params: AnomalyParams;
}

export interface Plan {
  /** ms since epoch; undefined: the engine's clock (Redis TIME for Redis). */
  nowMs?: number;
  /** 'peek' reads state and writes nothing (usage reports). */
  mode: 'check' | 'peek';
  /** Names this request's concurrency slots and session reservation. */
  token: string;
  /** An existing session to keep counted for another ttlMs, with its index key (keys.sessionIndex). */
  session?: { member: string; index: string; ttlMs: number };
  limits: PlannedLimit[];
  anomaly?: PlannedAnomaly;
}

export interface LimitState {
  /** Effective headline number (a tenant override or the configured one). */
  n: number;
  remaining: number;
  /** ms until the counter is back to full; absent for concurrency and sessions. */
  resetMs?: number;
}

export interface AnomalyResult {
  perMinute: number;
  baseline: number;
  flagged: boolean;
  /** This call is the one that crossed the threshold: count the flagged minute once. */
  newlyFlagged: boolean;
  throttled: boolean;
  /** ms until the minute ends (when throttled). */
  retryMs: number;
}

export interface Outcome {
  allowed: boolean;
  /** Index of the refusing limit in plan.limits, or -1 when the anomaly throttle refused. */
  refusedAt?: number;
  retryMs: number;
  /** One per plan.limits entry. */
  states: LimitState[];
  anomaly?: AnomalyResult;
}

/** Something a request holds in a sorted set: a concurrency slot or a session reservation. */
export interface Hold {
  key: string;
  member: string;
}

export interface Engine {
  evaluate(plan: Plan): Promise<Outcome>;
  release(holds: Hold[]): Promise<void>;
  /** Turns pending reservations into the session's member and records them in the session index. */
  bindSession(pending: Hold[], session: { member: string; index: string }, ttlMs: number, nowMs?: number): Promise<void>;
  /** Frees every cap the session counts in. */
  endSession(session: { member: string; index: string }): Promise<void>;
  overrides(tenant: string): Promise<Map<string, number>>;
  /** number: set; null: back to the configured limit. */
  setOverrides(tenant: string, changes: ReadonlyMap<string, number | null>): Promise<void>;
}

/**
 * 128 bits of SHA-256 over the values, base64url (22 characters). Cryptographic, so a client cannot
 * craft a name that shares another's counter; JSON keeps ["a:b"] and ["a", "b"] apart.
 */
export function valueDigest(values: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(values)).digest('base64url').slice(0, 22);
}

/**
 * Key layout shared by both engines (the Redis engine prefixes it). Values a client chooses or sends
 * (principal, session id) enter as digests, so every key and member has a fixed size; tenant
 * overrides are admin-set and stay readable.
 */
export const keys = {
  overrides: (tenant: string) => `ov:${encodeURIComponent(tenant)}`,
  anomaly: (principal: string) => `an:${valueDigest([principal])}`,
  sessionIndex: (server: string, sessionId: string) => `sx:${valueDigest([server, sessionId])}`,
  slotMember: (token: string) => `c:${token}`,
  pendingSessionMember: (token: string) => `p:${token}`,
  sessionMember: (sessionId: string) => `s:${valueDigest([sessionId])}`,
};
