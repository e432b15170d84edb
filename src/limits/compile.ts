// Turns a LimitConfig into what the request path needs: a matcher, the request's counter key, its
// cost, and the kind's parameters in the units the engines use (µs for GCRA, ms for the rest).
import { compileGlobs, type NameMatcher } from '../policy/index.js';
import { valueDigest } from './engine.js';
import type { Dimension, LimitConfig, LimitKind, LimitRequest, UnavailablePolicy } from './types.js';
import { windowSeconds } from './validate.js';

export const DEFAULT_LEASE_SECONDS = 300;

export interface CompiledLimit {
  name: string;
  kind: LimitKind;
  per: Dimension[];
  /** Headline number: requests (rate, quota), max (concurrency, sessions) or budget (cost). */
  configured: number;
  whenUnavailable: UnavailablePolicy;
  /** Tenant overrides apply: the counter is partitioned by tenant. */
  perTenant: boolean;
  /** rate: configured requests per `perUs`, `burst` when configured. */
  rate?: { perUs: number; requests: number; burst?: number };
  /** quota, cost. */
  window?: { ms: number; sliding: boolean };
  /** concurrency: slot lease; sessions: session TTL. */
  holdMs?: number;
  applies(r: LimitRequest): boolean;
  /** Whether the limit can count this tenant's requests (its match.tenants), for usage reports. */
  coversTenant(tenant: string): boolean;
  /** Units this request takes (1 except for cost budgets). */
  costOf(r: LimitRequest): number;
}

/** Compiles one validated limit; sessionTtlMs is how long a session counts without traffic. */
export function compileLimit(l: LimitConfig, sessionTtlMs: number): CompiledLimit {
  const tenants = l.match?.tenants && compileGlobs(l.match.tenants);
  const base = {
    coversTenant: (tenant: string) => !tenants || tenants(tenant),
    name: l.name,
    per: [...l.per],
    whenUnavailable: l.whenUnavailable ?? 'fail-open',
    perTenant: l.per.includes('tenant'),
  };
  // Session caps count sessions, not calls, so method and tool filters do not apply to them.
  const applies = requestMatcher(l, l.sessions !== undefined);
  const one = () => 1;
  if (l.rate) {
    const rate = { perUs: l.rate.perSeconds * 1_000_000, requests: l.rate.requests, ...(l.rate.burst !== undefined && { burst: l.rate.burst }) };
    return { ...base, kind: 'rate', configured: l.rate.requests, rate, applies, costOf: one };
  }
  if (l.quota) {
    const window = { ms: windowSeconds(l.quota.window)! * 1000, sliding: l.quota.sliding ?? false };
    return { ...base, kind: 'quota', configured: l.quota.requests, window, applies, costOf: one };
  }
  if (l.concurrency) {
    const holdMs = (l.concurrency.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000;
    return { ...base, kind: 'concurrency', configured: l.concurrency.max, holdMs, applies, costOf: one };
  }
  if (l.sessions) return { ...base, kind: 'sessions', configured: l.sessions.max, holdMs: sessionTtlMs, applies, costOf: one };
  const cost = l.cost!;
  const window = { ms: windowSeconds(cost.window)! * 1000, sliding: cost.sliding ?? false };
  return { ...base, kind: 'cost', configured: cost.budget, window, applies, costOf: costTable(cost.costs, cost.defaultCost ?? 1) };
}

/**
 * The counter key of a request under a limit (engine-relative: the Redis engine adds its prefix).
 * The kind is part of the key so changing a limit's kind never reads another kind's state. A
 * missing dimension value counts under "" (one shared bucket), so anonymous traffic is limited too.
 * Dimension values are client-chosen (a tool name can be 1 KiB, a URI more), so they enter the key
 * as one fixed-size digest: a key costs the same whatever the client sends.
 */
export function counterKey(l: CompiledLimit, r: LimitRequest): string {
  const base = `l:${l.kind}:${l.name}`;
  return l.per.length ? `${base}:${valueDigest(l.per.map((d) => dimensionValue(d, r)))}` : base;
}

export function dimensionValue(d: Dimension, r: LimitRequest): string {
  switch (d) {
    case 'tenant':
      return r.tenant ?? '';
    case 'principal':
      return r.principal ?? '';
    case 'server':
      return r.server;
    case 'method':
      return r.method;
    case 'tool':
      return r.tool ?? '';
  }
}

/**
 * GCRA parameters for an effective limit n (configured or a tenant override): emission interval T
 * (µs, rounded up so the rate never exceeds the limit) and burst B, which scales with an override.
 * The Lua script (redisScripts.ts) computes the same expressions.
 */
export function rateParams(rate: NonNullable<CompiledLimit['rate']>, n: number): { T: number; B: number } {
  const T = Math.ceil(rate.perUs / n);
  const B = rate.burst === undefined ? n : Math.max(1, Math.floor((n * rate.burst) / rate.requests + 0.5));
  return { T, B };
}

function requestMatcher(l: LimitConfig, sessionsOnly: boolean): (r: LimitRequest) => boolean {
  const m = l.match ?? {};
  const checks: Array<(r: LimitRequest) => boolean> = [];
  const add = (globs: string[] | undefined, value: (r: LimitRequest) => string | undefined) => {
    if (!globs) return;
    const matches: NameMatcher = compileGlobs(globs);
    checks.push((r) => {
      const v = value(r);
      return v !== undefined && v !== '' && matches(v);
    });
  };
  add(m.servers, (r) => r.server);
  add(m.tenants, (r) => r.tenant);
  add(m.principals, (r) => r.principal);
  if (!sessionsOnly) {
    add(m.methods, (r) => r.method);
    add(m.tools, (r) => r.tool);
  }
  return (r) => checks.every((c) => c(r));
}

/** Exact tool names win over globs; globs are tried in config order. */
function costTable(costs: Record<string, number>, defaultCost: number): (r: LimitRequest) => number {
  const exact = new Map<string, number>();
  const globs: Array<[NameMatcher, number]> = [];
  for (const [pattern, cost] of Object.entries(costs)) {
    if (pattern.includes('*') || pattern.includes('?')) globs.push([compileGlobs([pattern]), cost]);
    else exact.set(pattern, cost);
  }
  return (r) => {
    if (r.tool === undefined) return defaultCost;
    const hit = exact.get(r.tool);
    if (hit !== undefined) return hit;
    for (const [matches, cost] of globs) if (matches(r.tool)) return cost;
    return defaultCost;
  };
}
