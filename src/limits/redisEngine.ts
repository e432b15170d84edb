// Counters in Redis, shared by every replica. One request = one EVALSHA of the check script with
// every applicable limit, its tenant override hash and the principal's anomaly state as keys.
// Failures surface as StoreUnavailableError from RedisStore.run; the Limiter applies the policy.
import type { RedisStore } from '../store/index.js';
import { ANOMALY_STATE_TTL_MS } from './anomaly.js';
import { keys, type AnomalyResult, type Engine, type Hold, type LimitState, type Outcome, type Plan } from './engine.js';
import { bindScript, checkScript, endSessionScript, releaseScript } from './redisScripts.js';

/** What the check script returns (cjson): i = 0 allowed, -1 anomaly throttle, k = limit k (1-based). */
interface CheckReply {
  i: number;
  rt: number;
  /** [n, remaining, resetMs or -1] per limit; cjson encodes an empty list as {}. */
  st: Array<[number, number, number]> | Record<string, never>;
  an?: { c: number; b: number; fl: number; nf: number; th: number; rt: number };
}

export class RedisEngine implements Engine {
  private readonly prefix: string;

  constructor(private readonly store: RedisStore) {
    this.prefix = `${store.keyPrefix}rl:`;
  }

  async evaluate(plan: Plan): Promise<Outcome> {
    const keyList: string[] = [];
    const positions = new Map<string, number>();
    const ref = (key: string): number => {
      let at = positions.get(key);
      if (at === undefined) {
        keyList.push(this.prefix + key);
        positions.set(key, (at = keyList.length));
      }
      return at;
    };
    const spec = {
      ...(plan.nowMs !== undefined && { now: plan.nowMs }),
      mode: plan.mode,
      tok: plan.token,
      ...(plan.session && { sess: { member: plan.session.member, index: ref(plan.session.index), ttl: plan.session.ttlMs } }),
      ...(plan.anomaly && {
        an: {
          key: ref(plan.anomaly.key),
          factor: plan.anomaly.params.factor,
          minB: plan.anomaly.params.minBaseline,
          alpha: plan.anomaly.params.alpha,
          throttle: plan.anomaly.params.throttle ? 1 : 0,
          ttl: ANOMALY_STATE_TTL_MS,
        },
      }),
      limits: plan.limits.map((p) => {
        const l = p.limit;
        return {
          k: l.rate ? 'rate' : l.window ? 'window' : l.kind,
          key: ref(p.key),
          ov: p.tenant !== undefined ? ref(keys.overrides(p.tenant)) : 0,
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
      }),
    };
    const raw = await this.store.run('limits.check', (r) => checkScript.run(r, keyList, [JSON.stringify(spec)]));
    const reply = JSON.parse(String(raw)) as CheckReply;
    const states: LimitState[] = (Array.isArray(reply.st) ? reply.st : []).map(([n, remaining, reset]) =>
      reset < 0 ? { n, remaining } : { n, remaining, resetMs: reset },
    );
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

  async release(holds: Hold[]): Promise<void> {
    if (!holds.length) return;
    await this.store.run('limits.release', (r) =>
      releaseScript.run(
        r,
        holds.map((h) => this.prefix + h.key),
        holds.map((h) => h.member),
      ),
    );
  }

  async bindSession(pending: Hold[], session: { member: string; index: string }, ttlMs: number, nowMs?: number): Promise<void> {
    if (!pending.length) return;
    // Every hold of one request has the same member (the request's pending reservation).
    const member = pending[0]!.member;
    await this.store.run('limits.bind_session', (r) =>
      bindScript.run(r, [this.prefix + session.index, ...pending.map((h) => this.prefix + h.key)], [member, session.member, ttlMs, nowMs ?? '']),
    );
  }

  async endSession(session: { member: string; index: string }): Promise<void> {
    await this.store.run('limits.end_session', (r) => endSessionScript.run(r, [this.prefix + session.index], [session.member]));
  }

  async overrides(tenant: string): Promise<Map<string, number>> {
    const hash = await this.store.run('limits.overrides', (r) => r.hgetall(this.prefix + keys.overrides(tenant)));
    return new Map(Object.entries(hash).map(([name, n]) => [name, Number(n)]));
  }

  async setOverrides(tenant: string, changes: ReadonlyMap<string, number | null>): Promise<void> {
    const key = this.prefix + keys.overrides(tenant);
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
