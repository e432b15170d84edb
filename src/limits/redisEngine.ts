// Counters in Redis, shared by every replica. One request = one EVALSHA of the check script with
// every applicable limit, its tenant override hash and the principal's anomaly state as keys.
// On Redis Cluster every counter carries its own hash tag (load spreads over all slots), so one
// request's keys usually span slots: see clusterEvaluate for what stays atomic there.
// Failures surface as StoreUnavailableError from RedisStore.run; the Limiter applies the policy.
import type { RedisStore } from '../store/index.js';
import { ANOMALY_STATE_TTL_MS } from './anomaly.js';
import { keys, type AnomalyResult, type Engine, type Hold, type LimitState, type Outcome, type Plan } from './engine.js';
import { bindScript, checkScript, endSessionScript, releaseScript, rollbackScript } from './redisScripts.js';

/** What the check script returns (cjson): i = 0 allowed, -1 anomaly throttle, k = limit k (1-based). */
interface CheckReply {
  i: number;
  rt: number;
  /** [n, remaining, resetMs or -1] per limit; cjson encodes an empty list as {}. */
  st: Array<[number, number, number]> | Record<string, never>;
  an?: { c: number; b: number; fl: number; nf: number; th: number; rt: number };
  /** Per limit, how to take its consumption back (0: nothing taken); only when asked (spec.undo). */
  u?: Array<Undo | 0>;
}

type Undo = { k: 'r'; d: string } | { k: 'w'; i: string; c: number } | { k: 'z'; m: string };

/** The JSON spec of one CHECK call, as the script reads it. */
interface CheckSpec {
  now?: number;
  mode: Plan['mode'];
  tok: string;
  sess?: { member: string; index: number; ttl: number };
  an?: { key: number; factor: number; minB: number; alpha: number; throttle: number; ttl: number };
  limits: Array<Record<string, string | number> & { key: number; ov: number; ovn?: number }>;
  undo?: 1;
}

export class RedisEngine implements Engine {
  private readonly prefix: string;

  private readonly cluster: boolean;

  constructor(private readonly store: RedisStore) {
    this.prefix = `${store.keyPrefix}rl:`;
    this.cluster = store.topology === 'cluster';
  }

  /** The Redis key of an engine key: on Cluster the whole engine key is the hash tag. */
  private key(k: string): string {
    return this.prefix + (this.store.slotTag(k) || k);
  }

  async evaluate(plan: Plan): Promise<Outcome> {
    if (this.cluster) return this.clusterEvaluate(plan);
    const keyList: string[] = [];
    const positions = new Map<string, number>();
    const ref = (key: string): number => {
      let at = positions.get(key);
      if (at === undefined) {
        keyList.push(this.key(key));
        positions.set(key, (at = keyList.length));
      }
      return at;
    };
    const spec: CheckSpec = {
      ...(plan.nowMs !== undefined && { now: plan.nowMs }),
      mode: plan.mode,
      tok: plan.token,
      ...(plan.session && { sess: { member: plan.session.member, index: ref(plan.session.index), ttl: plan.session.ttlMs } }),
      ...(plan.anomaly && { an: anomalySpec(plan.anomaly, ref(plan.anomaly.key)) }),
      limits: plan.limits.map((p) => limitSpec(p, ref(p.key), p.tenant !== undefined ? ref(keys.overrides(p.tenant)) : 0)),
    };
    return outcome(await this.check(keyList, spec));
  }

  /**
   * Cluster: one CHECK per slot (each counter has its own hash tag), all sent at once. Each is
   * all-or-nothing within its slot; if any refuses, the slots that admitted take their consumption
   * back (ROLLBACK). So a request never consumes more than it was admitted for and no counter ever
   * admits past its limit (never over-admits), but between a slot's commit and its rollback other
   * requests see that capacity taken and may be refused (transient under-admission). Tenant
   * overrides are read first (one more round trip), since their hash lives in another slot.
   */
  private async clusterEvaluate(plan: Plan): Promise<Outcome> {
    const overrides = new Map<string, Map<string, number>>();
    const tenants = [...new Set(plan.limits.flatMap((p) => (p.tenant !== undefined ? [p.tenant] : [])))];
    await Promise.all(tenants.map(async (t) => overrides.set(t, await this.overrides(t))));
    const common = { ...(plan.nowMs !== undefined && { now: plan.nowMs }), mode: plan.mode, tok: plan.token };
    const groups: Array<{ keys: string[]; spec: CheckSpec; limits: number[] }> = [];
    const groupOf = new Map<string, (typeof groups)[number]>();
    const group = (key: string) => {
      let g = groupOf.get(key);
      if (!g) {
        groupOf.set(key, (g = { keys: [this.key(key)], spec: { ...common, limits: [], undo: 1 }, limits: [] }));
        groups.push(g);
      }
      return g;
    };
    for (const [i, p] of plan.limits.entries()) {
      const g = group(p.key);
      const ovn = p.tenant !== undefined ? overrides.get(p.tenant)?.get(p.limit.name) : undefined;
      g.spec.limits.push({ ...limitSpec(p, 1, 0), ...(ovn !== undefined && { ovn }) });
      g.limits.push(i);
      if (plan.session) g.spec.sess = { member: plan.session.member, index: 0, ttl: plan.session.ttlMs };
    }
    if (plan.anomaly) group(plan.anomaly.key).spec.an = anomalySpec(plan.anomaly, 1);
    const sessionIndex = plan.session && plan.mode === 'check' ? this.store.run('limits.check', (r) => r.pexpire(this.key(plan.session!.index), plan.session!.ttlMs)) : undefined;
    const settled = await Promise.allSettled(groups.map((g) => this.check(g.keys, g.spec)));
    await sessionIndex;
    const failed = settled.find((s) => s.status === 'rejected');
    const replies = settled.map((s) => (s.status === 'fulfilled' ? s.value : ({ i: -2, rt: 0, st: [] } as CheckReply)));
    if (failed) {
      // A slot did not answer: the request is not admitted, so what other slots took goes back.
      await this.rollBack(groups, replies).catch(() => undefined);
      throw failed.reason;
    }
    const states: CheckReply['st'] = [];
    let refused = 0;
    let retry = 0;
    let an: CheckReply['an'];
    for (const [gi, reply] of replies.entries()) {
      const g = groups[gi]!;
      const st = Array.isArray(reply.st) ? reply.st : [];
      for (const [j, i] of g.limits.entries()) states[i] = st[j]!;
      an ??= reply.an;
      const at = reply.i < 0 ? -1 : reply.i > 0 ? g.limits[reply.i - 1]! + 1 : 0;
      if (at !== 0 && (refused === 0 || at === -1 || (refused > 0 && at < refused))) {
        refused = at;
        retry = reply.rt;
      }
    }
    if (refused !== 0) await this.rollBack(groups, replies);
    return outcome({ i: refused, rt: retry, st: states, ...(an && { an }) });
  }

  private async rollBack(groups: Array<{ keys: string[] }>, replies: CheckReply[]): Promise<void> {
    await Promise.all(
      replies.map((reply, gi) => {
        const undo = (reply.u ?? []).filter((u): u is Undo => u !== 0);
        if (reply.i !== 0 || !undo.length) return undefined;
        return this.store.run('limits.rollback', (r) => rollbackScript.run(r, undo.map(() => groups[gi]!.keys[0]!), [JSON.stringify(undo)]));
      }),
    );
  }

  private async check(keyList: string[], spec: CheckSpec): Promise<CheckReply> {
    const { waitReplicas, waitTimeoutMs } = this.store.limitWrites;
    const args = [JSON.stringify(spec)];
    const raw = await this.store.run('limits.check', async (r) =>
      waitReplicas > 0 && spec.mode === 'check' ? (await checkScript.runAndWait(r, keyList, args, waitReplicas, waitTimeoutMs)).reply : checkScript.run(r, keyList, args),
    );
    return JSON.parse(String(raw)) as CheckReply;
  }

  async release(holds: Hold[]): Promise<void> {
    if (!holds.length) return;
    // On Cluster each hold's set is in its own slot: one script per set.
    const batches = this.cluster ? holds.map((h) => [h]) : [holds];
    await Promise.all(
      batches.map((batch) =>
        this.store.run('limits.release', (r) =>
          releaseScript.run(
            r,
            batch.map((h) => this.key(h.key)),
            batch.map((h) => h.member),
          ),
        ),
      ),
    );
  }

  async bindSession(pending: Hold[], session: { member: string; index: string }, ttlMs: number, nowMs?: number): Promise<void> {
    if (!pending.length) return;
    // Every hold of one request has the same member (the request's pending reservation).
    const member = pending[0]!.member;
    const args = [member, session.member, ttlMs, nowMs ?? ''];
    if (!this.cluster) {
      await this.store.run('limits.bind_session', (r) => bindScript.run(r, [this.key(session.index), ...pending.map((h) => this.key(h.key))], args));
      return;
    }
    // Cluster: the index (another slot) first, so ending the session finds every set it may be in.
    const index = this.key(session.index);
    await this.store.run('limits.bind_session', (r) => r.multi().sadd(index, ...pending.map((h) => this.key(h.key))).pexpire(index, ttlMs).exec());
    await Promise.all(pending.map((h) => this.store.run('limits.bind_session', (r) => bindScript.run(r, [this.key(h.key)], [...args, '0']))));
  }

  async endSession(session: { member: string; index: string }): Promise<void> {
    const index = this.key(session.index);
    if (!this.cluster) {
      await this.store.run('limits.end_session', (r) => endSessionScript.run(r, [index], [session.member]));
      return;
    }
    const sets = await this.store.run('limits.end_session', (r) => r.smembers(index));
    await Promise.all(sets.map((set) => this.store.run('limits.end_session', (r) => r.zrem(set, session.member))));
    await this.store.run('limits.end_session', (r) => r.del(index));
  }

  async overrides(tenant: string): Promise<Map<string, number>> {
    const hash = await this.store.run('limits.overrides', (r) => r.hgetall(this.key(keys.overrides(tenant))));
    return new Map(Object.entries(hash).map(([name, n]) => [name, Number(n)]));
  }

  async setOverrides(tenant: string, changes: ReadonlyMap<string, number | null>): Promise<void> {
    const key = this.key(keys.overrides(tenant));
    await this.store.run('limits.set_overrides', (r) => {
      const tx = r.multi();
      for (const [name, n] of changes) {
        if (n === null) tx.hdel(key, name);
        else tx.hset(key, name, String(n));
      }
      return tx.exec();
    });
  }
}

function anomalySpec(a: NonNullable<Plan['anomaly']>, key: number): NonNullable<CheckSpec['an']> {
  return { key, factor: a.params.factor, minB: a.params.minBaseline, alpha: a.params.alpha, throttle: a.params.throttle ? 1 : 0, ttl: ANOMALY_STATE_TTL_MS };
}

function limitSpec(p: Plan['limits'][number], key: number, ov: number): CheckSpec['limits'][number] {
  const l = p.limit;
  return {
    k: l.rate ? 'rate' : l.window ? 'window' : l.kind,
    key,
    ov,
    name: l.name,
    n: l.configured,
    cost: p.cost,
    per: l.rate?.perUs ?? 0,
    req: l.rate?.requests ?? 0,
    burst: l.rate?.burst ?? 0,
    w: l.window?.ms ?? 0,
    sl: l.window?.sliding ? 1 : 0,
    hold: l.holdMs ?? 0,
  };
}

function outcome(reply: CheckReply): Outcome {
  const states: LimitState[] = (Array.isArray(reply.st) ? reply.st : []).map(([n, remaining, reset]) => (reset < 0 ? { n, remaining } : { n, remaining, resetMs: reset }));
  const anomaly: AnomalyResult | undefined = reply.an && {
    perMinute: reply.an.c,
    baseline: reply.an.b,
    flagged: reply.an.fl === 1,
    newlyFlagged: reply.an.nf === 1,
    throttled: reply.an.th === 1,
    retryMs: reply.an.rt,
  };
  const refusedAt = reply.i === 0 ? undefined : reply.i < 0 ? -1 : reply.i - 1;
  return { allowed: refusedAt === undefined, ...(refusedAt !== undefined && { refusedAt }), retryMs: reply.rt, states, ...(anomaly && { anomaly }) };
}
