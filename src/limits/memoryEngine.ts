// Counters in this process: the single-replica default, and the local approximate limiter used
// when Redis is down (fail-open). Same algorithms as the Lua script, on an LRU map with expiry;
// expired entries are ignored on read and removed by sweep(), which the Limiter runs on a timer.
// The map holds at most maxEntries counters, so a client sending ever new names (each a new counter
// under `per: [tool]`) evicts the least recently used counter instead of growing memory.
import { LRUCache } from 'lru-cache';
import { gcraStep, slotsStep, windowStep, type WindowState } from './algorithms.js';
import { ANOMALY_STATE_TTL_MS, anomalyStep, type AnomalyState } from './anomaly.js';
import { rateParams } from './compile.js';
import { keys, type AnomalyResult, type Engine, type Hold, type LimitState, type Outcome, type Plan } from './engine.js';

interface Entry<T> {
  value: T;
  /** ms since epoch. */
  expiresAt: number;
}

type Slots = Map<string, number>;

/** Counters kept in process when config does not say (limiting.memoryCounters). */
const DEFAULT_MEMORY_COUNTERS = 100_000;

export class MemoryEngine implements Engine {
  private readonly entries: LRUCache<string, Entry<unknown>>;
  /** Tenant overrides are admin config, not counters: no expiry. */
  private readonly tenantOverrides = new Map<string, Map<string, number>>();

  constructor(
    private readonly clock: () => number = Date.now,
    maxEntries = DEFAULT_MEMORY_COUNTERS,
  ) {
    this.entries = new LRUCache({ max: maxEntries });
  }

  /** Counters, slot sets and session indexes held now (expired ones included until swept). */
  get size(): number {
    return this.entries.size;
  }

  async evaluate(plan: Plan): Promise<Outcome> {
    const now = plan.nowMs ?? this.clock();
    const commit = plan.mode === 'check';
    const writes: Array<() => void> = [];
    let anomaly: AnomalyResult | undefined;
    let refusedAt: number | undefined;
    let retryMs = 0;

    if (plan.anomaly && commit) {
      const step = anomalyStep(this.get<AnomalyState>(plan.anomaly.key, now), now, plan.anomaly.params);
      // Attempts count whatever the verdict, so this write is not part of the all-or-nothing set.
      this.set(plan.anomaly.key, step.next, now + ANOMALY_STATE_TTL_MS);
      anomaly = { perMinute: step.next.c, baseline: step.baseline, flagged: step.flagged, newlyFlagged: step.newlyFlagged, throttled: step.throttled, retryMs: step.retryMs };
      if (step.throttled) {
        refusedAt = -1;
        retryMs = step.retryMs;
      }
    }

    const states: LimitState[] = [];
    for (const [i, p] of plan.limits.entries()) {
      const l = p.limit;
      const n = (p.tenant !== undefined && this.tenantOverrides.get(p.tenant)?.get(l.name)) || l.configured;
      let ok: boolean;
      let retry: number;
      if (l.rate) {
        const { T, B } = rateParams(l.rate, n);
        const step = gcraStep(this.get<number>(p.key, now), now * 1000, T, B, p.cost);
        states.push({ n, remaining: step.remaining, resetMs: step.resetMs! });
        ({ ok, retryMs: retry } = step);
        if (ok && p.cost > 0) writes.push(() => this.set(p.key, step.next, now + step.ttlMs));
      } else if (l.window) {
        const step = windowStep(this.get<WindowState>(p.key, now), now, l.window.ms, n, p.cost, l.window.sliding);
        states.push({ n, remaining: step.remaining, resetMs: step.resetMs! });
        ({ ok, retryMs: retry } = step);
        if (ok && p.cost > 0) writes.push(() => this.set(p.key, step.next, now + step.ttlMs));
      } else {
        const slots = this.get<Slots>(p.key, now) ?? new Map<string, number>();
        const live = [...slots.values()].filter((exp) => exp > now);
        const step = slotsStep(live, now, n, p.cost, l.kind === 'sessions' ? 'sessions' : 'concurrency');
        states.push({ n, remaining: step.remaining });
        ({ ok, retryMs: retry } = step);
        const holdMs = l.holdMs!;
        if (commit && plan.session && l.kind === 'sessions' && (slots.get(plan.session.member) ?? 0) > now) {
          // A session's traffic keeps it counted for another TTL, like the registry's sliding TTL.
          // Not consumption (the session is already counted), so it happens whatever the verdict.
          this.refreshSlot(p.key, plan.session.member, now + holdMs, now);
        }
        if (ok && p.cost > 0) {
          const member = l.kind === 'sessions' ? keys.pendingSessionMember(plan.token) : keys.slotMember(plan.token);
          writes.push(() => this.addSlot(p.key, member, now + holdMs, now));
        }
      }
      // A request that takes nothing (a session's later traffic, a peek) is never refused.
      if (!ok && p.cost > 0 && refusedAt === undefined) {
        refusedAt = i;
        retryMs = retry;
      }
    }

    if (commit) {
      if (plan.session) this.touch(plan.session.index, now + plan.session.ttlMs, now);
      for (const w of refusedAt === undefined ? writes : []) w();
    }
    return { allowed: refusedAt === undefined, ...(refusedAt !== undefined && { refusedAt }), retryMs, states, ...(anomaly && { anomaly }) };
  }

  async release(holds: Hold[]): Promise<void> {
    for (const h of holds) this.get<Slots>(h.key, this.clock())?.delete(h.member);
  }

  async bindSession(pending: Hold[], session: { member: string; index: string }, ttlMs: number, nowMs?: number): Promise<void> {
    const now = nowMs ?? this.clock();
    const counted = this.get<Set<string>>(session.index, now) ?? new Set<string>();
    for (const h of pending) {
      const slots = this.get<Slots>(h.key, now);
      if (!slots?.delete(h.member)) continue;
      this.addSlot(h.key, session.member, now + ttlMs, now);
      counted.add(h.key);
    }
    if (counted.size) this.set(session.index, counted, now + ttlMs);
  }

  async endSession(session: { member: string; index: string }): Promise<void> {
    const now = this.clock();
    for (const key of this.get<Set<string>>(session.index, now) ?? []) this.get<Slots>(key, now)?.delete(session.member);
    this.entries.delete(session.index);
  }

  async overrides(tenant: string): Promise<Map<string, number>> {
    return new Map(this.tenantOverrides.get(tenant));
  }

  async setOverrides(tenant: string, changes: ReadonlyMap<string, number | null>): Promise<void> {
    const current = this.tenantOverrides.get(tenant) ?? new Map<string, number>();
    for (const [name, n] of changes) {
      if (n === null) current.delete(name);
      else current.set(name, n);
    }
    if (current.size) this.tenantOverrides.set(tenant, current);
    else this.tenantOverrides.delete(tenant);
  }

  /** Drops expired entries and expired slots; returns how many entries remain. */
  sweep(): number {
    const now = this.clock();
    for (const [key, e] of [...this.entries.entries()]) {
      if (e.expiresAt <= now) this.entries.delete(key);
      else if (e.value instanceof Map) for (const [member, exp] of e.value as Map<string, unknown>) if ((exp as number) <= now) e.value.delete(member);
    }
    return this.entries.size;
  }

  private get<T>(key: string, now: number): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt > now) return e.value as T;
    this.entries.delete(key);
    return undefined;
  }

  private set(key: string, value: unknown, expiresAt: number): void {
    this.entries.set(key, { value, expiresAt });
  }

  private touch(key: string, expiresAt: number, now: number): void {
    const e = this.entries.get(key);
    if (e && e.expiresAt > now) e.expiresAt = expiresAt;
  }

  private addSlot(key: string, member: string, expiresAt: number, now: number): void {
    const slots = this.get<Slots>(key, now) ?? new Map<string, number>();
    for (const [m, exp] of slots) if (exp <= now) slots.delete(m);
    slots.set(member, expiresAt);
    this.set(key, slots, Math.max(expiresAt, this.entries.get(key)?.expiresAt ?? 0));
  }

  private refreshSlot(key: string, member: string, expiresAt: number, now: number): void {
    const slots = this.get<Slots>(key, now);
    if (!slots?.has(member)) return;
    slots.set(member, expiresAt);
    this.set(key, slots, Math.max(expiresAt, this.entries.get(key)!.expiresAt));
  }
}
