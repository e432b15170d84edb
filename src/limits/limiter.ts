// The Limiter: plans which limits a request meets, has one engine evaluate them all at once (one
// Redis round trip), applies the whenUnavailable policies when the store cannot answer, and turns
// the outcome into a verdict with RateLimit headers and, for what the request holds, a lease the core
// hands back to release() or bindSession().
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { LeasedEntry, Limiter as LimiterPort, LimitLease } from '../core/index.js';
import type { MemoryStore, RedisStore } from '../store/index.js';
import type { Logger } from '../telemetry/index.js';
import { anomalyParams, type AnomalyParams } from './anomaly.js';
import { compileLimit, counterKey, type CompiledLimit } from './compile.js';
import { keys, type Engine, type Hold, type Outcome, type Plan, type PlannedLimit } from './engine.js';
import { anomalyPolicyItem, policyItem, rateLimitHeaders, stateItem } from './headers.js';
import { MemoryEngine } from './memoryEngine.js';
import type { LimitMetrics } from './metrics.js';
import { RedisEngine } from './redisEngine.js';
import type { AnomalyFlag, LimitRequest, LimitsOptions, LimitUsage, LimitVerdict, TenantUsage, UnavailablePolicy } from './types.js';
import { ANOMALY_LIMIT, validateLimits } from './validate.js';

/** Where counters can live, told apart by `kind`: a new kind of store fails to compile until it has an engine. */
export type CounterStore = MemoryStore | RedisStore;

export interface LimiterDeps {
  /** MemoryStore: counters in this process. RedisStore: counters shared by every replica. */
  store: CounterStore;
  logger: Logger;
  /** ms since epoch. Tests only: without it the store's clock decides (Redis TIME). */
  now?: () => number;
  metrics?: LimitMetrics;
}

/** Thrown by setTenantLimits on a bad tenant, limit name or number: the admin API answers 400. */
export class LimitInputError extends Error {
  override readonly name = 'LimitInputError';
}

const DEFAULT_SESSION_TTL_SECONDS = 86_400;
/** How soon a client refused by a fail-closed limit should try again. */
const STORE_UNAVAILABLE_RETRY_SECONDS = 1;
const SWEEP_INTERVAL_MS = 60_000;
/** Tenant overrides last seen per (tenant, limit), so the fail-open fallback keeps honouring them. */
const REMEMBERED_OVERRIDES = 10_000;

export class Limiter implements LimiterPort {
  private readonly limits: CompiledLimit[];
  private readonly byName = new Map<string, CompiledLimit>();
  private readonly engine: Engine;
  /** Local approximate counters (limit / replicas) used when Redis cannot answer. */
  private readonly fallback: MemoryEngine;
  private readonly memoryEngines: MemoryEngine[];
  private readonly anomaly?: AnomalyParams;
  private readonly sessionTtlMs: number;
  private readonly rememberedOverrides = new LRUCache<string, number>({ max: REMEMBERED_OVERRIDES });
  private sweepTimer?: NodeJS.Timeout;
  private storeDown = false;

  constructor(
    private readonly opts: LimitsOptions,
    private readonly deps: LimiterDeps,
    shared?: Limiter,
  ) {
    validateLimits(opts);
    this.sessionTtlMs = (opts.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS) * 1000;
    this.limits = opts.limits.map((l) => compileLimit(l, this.sessionTtlMs));
    for (const l of this.limits) this.byName.set(l.name, l);
    if (opts.anomaly) this.anomaly = anomalyParams(opts.anomaly);
    if (shared) {
      this.engine = shared.engine;
      this.fallback = shared.fallback;
      this.memoryEngines = shared.memoryEngines;
      this.rememberedOverrides = shared.rememberedOverrides;
      return;
    }
    const clock = deps.now ?? Date.now;
    this.fallback = new MemoryEngine(clock, opts.memoryCounters);
    switch (deps.store.kind) {
      case 'redis':
        this.engine = new RedisEngine(deps.store);
        this.memoryEngines = [this.fallback];
        break;
      case 'memory': {
        const memory = new MemoryEngine(clock, opts.memoryCounters);
        this.engine = memory;
        this.memoryEngines = [memory];
        break;
      }
    }
  }

  /**
   * The same counters under other definitions (a live configuration change): counters are keyed by a
   * limit's kind and name, so a limit whose kind and name stay keeps its counts, new numbers included.
   */
  reconfigured(opts: LimitsOptions): Limiter {
    return new Limiter(opts, this.deps, this);
  }

  /** Starts the timer that drops expired in-process counters. */
  start(): void {
    this.sweepTimer ??= setInterval(() => {
      for (const e of this.memoryEngines) e.sweep();
    }, SWEEP_INTERVAL_MS).unref();
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /** Decides one request against every limit it meets. Never rejects. */
  async check(r: LimitRequest): Promise<LimitVerdict> {
    const plan = this.plan(r);
    if (!plan.limits.length && !plan.anomaly) return { allowed: true, headers: [] };
    let outcome: Outcome;
    try {
      outcome = await this.engine.evaluate(plan);
      this.storeAnswered();
    } catch (err) {
      this.storeFailed(err);
      const closed = plan.limits.find((p) => p.cost > 0 && p.limit.whenUnavailable === 'fail-closed');
      if (closed) return this.failClosed(closed);
      return this.failOpen(r, plan);
    }
    this.rememberOverrides(plan, outcome);
    return this.verdict(r, plan, outcome, this.engine);
  }

  async release(lease: LimitLease): Promise<void> {
    await this.quietly('release', this.engineOf(lease).release(lease.entries.map(held)));
  }

  async bindSession(lease: LimitLease, sessionId: string): Promise<void> {
    const reservations = lease.entries.filter((e) => e.kind === 'reservation').map(held);
    if (!reservations.length) return;
    const session = { member: keys.sessionMember(sessionId), index: keys.sessionIndex(lease.server, sessionId) };
    await this.quietly('bind session', this.engineOf(lease).bindSession(reservations, session, this.sessionTtlMs, this.deps.now?.()));
  }

  /** The counters a lease was taken from: the shared ones, or this replica's fallback while the store was down. */
  private engineOf(lease: LimitLease): Engine {
    return lease.local ? this.fallback : this.engine;
  }

  /** Frees every session cap the session counted in; call from the session registry's onEnded. Never rejects. */
  async sessionEnded(b: { server: string; id: string }): Promise<void> {
    const session = { member: keys.sessionMember(b.id), index: keys.sessionIndex(b.server, b.id) };
    const engines = this.engine === this.fallback ? [this.engine] : [this.engine, this.fallback];
    for (const result of await Promise.allSettled(engines.map((e) => e.endSession(session)))) {
      // Redis down: the session's entries expire with their TTL instead.
      if (result.status === 'rejected') this.deps.logger.debug({ err: errorMessage(result.reason) }, 'could not free session caps');
    }
  }

  /** Effective limits of a tenant, and usage of those keyed on the tenant alone. Rejects when the store is down. */
  async usage(tenant: string): Promise<TenantUsage> {
    assertTenant(tenant);
    const relevant = this.limits.filter((l) => l.perTenant && l.coversTenant(tenant));
    const overrides = await this.engine.overrides(tenant);
    const probe: LimitRequest = { server: '', method: '', tenant, isNewSession: false };
    const peeked = relevant.filter((l) => l.per.length === 1);
    const plan: Plan = {
      ...this.clockNow(),
      mode: 'peek',
      token: randomUUID(),
      limits: peeked.map((l) => ({ limit: l, key: counterKey(l, probe), cost: 0, tenant })),
    };
    const outcome = peeked.length ? await this.engine.evaluate(plan) : undefined;
    return {
      tenant,
      limits: relevant.map((l): LimitUsage => {
        const override = overrides.get(l.name);
        const effective = override ?? l.configured;
        const base: LimitUsage = {
          name: l.name,
          kind: l.kind,
          per: [...l.per],
          configured: l.configured,
          ...(override !== undefined && { override }),
          effective,
          ...(l.window && { windowSeconds: l.window.ms / 1000 }),
        };
        const state = outcome?.states[peeked.indexOf(l)];
        if (!state) return base;
        const used = l.rate ? undefined : Math.max(0, effective - state.remaining);
        return {
          ...base,
          ...(used !== undefined && { used }),
          remaining: state.remaining,
          ...(state.resetMs !== undefined && { resetSeconds: Math.ceil(state.resetMs / 1000) }),
        };
      }),
    };
  }

  /**
   * Changes a tenant's limits on every replica: { limitName: number } sets the headline number
   * (requests, max or budget; a rate's burst scales with it), { limitName: null } goes back to config.
   * Only limits keyed per tenant can be overridden.
   */
  async setTenantLimits(tenant: string, changes: Record<string, number | null>): Promise<void> {
    assertTenant(tenant);
    const valid = new Map<string, number | null>();
    for (const [name, n] of Object.entries(changes)) {
      const l = this.byName.get(name);
      if (!l) throw new LimitInputError(`no limit named "${name}"`);
      if (!l.perTenant) throw new LimitInputError(`limit "${name}" is not counted per tenant`);
      if (n !== null && !(Number.isSafeInteger(n) && n > 0)) throw new LimitInputError(`limit "${name}" needs a positive integer or null`);
      valid.set(name, n);
    }
    await this.engine.setOverrides(tenant, valid);
    for (const [name, n] of valid) {
      if (n === null) this.rememberedOverrides.delete(overrideKey(tenant, name));
      else this.rememberedOverrides.set(overrideKey(tenant, name), n);
    }
  }

  private plan(r: LimitRequest): Plan {
    const limits: PlannedLimit[] = [];
    for (const l of this.limits) {
      if (!l.applies(r)) continue;
      let cost: number;
      if (l.kind === 'sessions') {
        // New sessions take a slot; a live session's requests only keep it counted.
        if (r.isNewSession) cost = 1;
        else if (r.sessionId) cost = 0;
        else continue;
      } else if ((cost = l.costOf(r)) === 0) continue;
      limits.push({ limit: l, key: counterKey(l, r), cost, ...(l.perTenant && r.tenant && { tenant: r.tenant }) });
    }
    const tracksSession = r.sessionId && !r.isNewSession && limits.some((p) => p.limit.kind === 'sessions');
    return {
      ...(r.now !== undefined ? { nowMs: Math.floor(r.now) } : this.clockNow()),
      mode: 'check',
      token: randomUUID(),
      ...(tracksSession && {
        session: { member: keys.sessionMember(r.sessionId!), index: keys.sessionIndex(r.server, r.sessionId!), ttlMs: this.sessionTtlMs },
      }),
      limits,
      ...(this.anomaly && r.method === 'tools/call' && r.principal && { anomaly: { principal: r.principal, key: keys.anomaly(r.principal), params: this.anomaly } }),
    };
  }

  private verdict(r: LimitRequest, plan: Plan, outcome: Outcome, engine: Engine, degraded?: UnavailablePolicy): LimitVerdict {
    const counted = plan.limits.flatMap((p, i) => (p.cost > 0 ? [{ p, state: outcome.states[i]! }] : []));
    const items = counted.map(({ p, state }) => ({ policy: policyItem(p.limit, state.n), state: stateItem(p.limit.name, state) }));
    const anomaly = this.anomalyFlag(r, outcome);
    const extras = { ...(degraded && { degraded }), ...(anomaly && { anomaly }) };

    if (!outcome.allowed) {
      const retryAfterSeconds = Math.max(1, Math.ceil(outcome.retryMs / 1000));
      let refused: NonNullable<LimitVerdict['refused']>;
      if (outcome.refusedAt === -1) {
        const policy = anomalyPolicyItem(ANOMALY_LIMIT, Math.max(outcome.anomaly!.baseline, this.anomaly!.minBaseline));
        refused = { limit: ANOMALY_LIMIT, retryAfterSeconds, policy, reason: 'anomaly' };
        items.push({ policy, state: stateItem(ANOMALY_LIMIT, { remaining: 0, resetMs: retryAfterSeconds * 1000 }) });
      } else {
        const at = counted.findIndex(({ p }) => p === plan.limits[outcome.refusedAt!]);
        // The refused limit's reset points at the same instant as Retry-After (draft §5).
        items[at] = { policy: items[at]!.policy, state: stateItem(counted[at]!.p.limit.name, { remaining: 0, resetMs: retryAfterSeconds * 1000 }) };
        refused = { limit: counted[at]!.p.limit.name, retryAfterSeconds, policy: items[at]!.policy, reason: 'exceeded' };
      }
      this.deps.metrics?.refused(refused.limit, refused.reason);
      return { allowed: false, refused, headers: rateLimitHeaders(items, retryAfterSeconds), ...extras };
    }

    const verdict: LimitVerdict = { allowed: true, headers: this.opts.headers ? rateLimitHeaders(items) : [], ...extras };
    const entries: LeasedEntry[] = [];
    for (const { p } of counted) {
      if (p.limit.kind === 'concurrency') entries.push({ kind: 'slot', key: p.key, member: keys.slotMember(plan.token) });
      if (p.limit.kind === 'sessions') entries.push({ kind: 'reservation', key: p.key, member: keys.pendingSessionMember(plan.token) });
    }
    if (entries.length) verdict.lease = { server: r.server, entries, local: engine === this.fallback };
    return verdict;
  }

  private anomalyFlag(r: LimitRequest, outcome: Outcome): AnomalyFlag | undefined {
    const a = outcome.anomaly;
    if (!a || !(a.flagged || a.throttled)) return undefined;
    if (a.newlyFlagged) this.deps.metrics?.anomaly(this.anomaly!.throttle);
    return { principal: r.principal!, perMinute: a.perMinute, baseline: a.baseline, throttled: a.throttled };
  }

  private failClosed(p: PlannedLimit): LimitVerdict {
    this.deps.metrics?.storeUnavailable('fail-closed');
    this.deps.metrics?.refused(p.limit.name, 'store_unavailable');
    const policy = policyItem(p.limit, p.limit.configured);
    return {
      allowed: false,
      refused: { limit: p.limit.name, retryAfterSeconds: STORE_UNAVAILABLE_RETRY_SECONDS, policy, reason: 'store_unavailable' },
      headers: [
        { name: 'RateLimit-Policy', value: policy },
        { name: 'Retry-After', value: String(STORE_UNAVAILABLE_RETRY_SECONDS) },
      ],
      degraded: 'fail-closed',
    };
  }

  /**
   * Counts locally at limit / replicas: with traffic spread evenly, the replicas together admit
   * about the limit. Anomaly detection pauses (a cold local baseline would flag or miss at random).
   */
  private async failOpen(r: LimitRequest, plan: Plan): Promise<LimitVerdict> {
    this.deps.metrics?.storeUnavailable('fail-open');
    const local: Plan = {
      ...plan,
      limits: plan.limits.map((p) => ({ ...p, limit: this.scaled(p) })),
    };
    delete local.anomaly;
    const outcome = await this.fallback.evaluate(local);
    return this.verdict(r, local, outcome, this.fallback, 'fail-open');
  }

  private scaled(p: PlannedLimit): CompiledLimit {
    const n = (p.tenant !== undefined && this.rememberedOverrides.get(overrideKey(p.tenant, p.limit.name))) || p.limit.configured;
    return { ...p.limit, configured: Math.max(1, Math.floor(n / this.opts.replicas)) };
  }

  private rememberOverrides(plan: Plan, outcome: Outcome): void {
    for (const [i, p] of plan.limits.entries()) {
      if (p.tenant === undefined) continue;
      const n = outcome.states[i]!.n;
      if (n === p.limit.configured) this.rememberedOverrides.delete(overrideKey(p.tenant, p.limit.name));
      else this.rememberedOverrides.set(overrideKey(p.tenant, p.limit.name), n);
    }
  }

  private storeFailed(err: unknown): void {
    if (this.storeDown) return;
    this.storeDown = true;
    this.deps.logger.warn({ err: errorMessage(err) }, 'limits store unavailable; applying each limit\'s whenUnavailable policy');
  }

  private storeAnswered(): void {
    if (!this.storeDown) return;
    this.storeDown = false;
    this.deps.logger.info('limits store reachable again; limits are shared again');
  }

  /** Store calls after the verdict (release, bind) must never reject into the core's response path. */
  private async quietly(what: string, work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (err) {
      // Leases and TTLs free what could not be freed now.
      this.deps.logger.debug({ err: errorMessage(err) }, `limits: could not ${what}`);
    }
  }

  private clockNow(): { nowMs?: number } {
    const now = this.deps.now?.();
    return now === undefined ? {} : { nowMs: Math.floor(now) };
  }
}

function held(e: LeasedEntry): Hold {
  return { key: e.key, member: e.member };
}

function overrideKey(tenant: string, limit: string): string {
  return `${tenant}\u0000${limit}`;
}

function assertTenant(tenant: string): void {
  if (typeof tenant !== 'string' || tenant.length === 0 || tenant.length > 256) throw new LimitInputError('tenant must be 1 to 256 characters');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
