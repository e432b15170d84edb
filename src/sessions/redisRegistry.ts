// Session bindings shared by every mcpgw replica through Redis, with an in-process cache in front
// so hot sessions route without a network round trip, and pub/sub invalidations so a binding ended
// on one replica stops routing on the others.
import { LRUCache } from 'lru-cache';
import type { RedisStore } from '../store/index.js';
import type { Logger } from '../telemetry/index.js';
import type { SessionBinding, SessionEndListener, SessionEndReason, SessionListQuery, SessionPage, SessionRegistry } from './binding.js';
import { decodeBinding, encodeBinding } from './codec.js';
import { EndListeners } from './endListeners.js';
import { decodeCursor, encodeCursor, listPosition, splitListPosition } from './listOrder.js';
import { RecentWrites } from './recentWrites.js';
import { SessionKeys } from './redisKeys.js';
import { countLivePerPod, deleteBinding, deletePodBindings, putBinding, touchBinding } from './redisScripts.js';
import { assertValidBinding, assertValidLimit, isValidServerName, isValidSessionId } from './validate.js';

export interface RedisSessionRegistryOptions {
  /** Sliding TTL of a binding (Redis PX). */
  ttlMs: number;
  /**
   * The in-process cache: at most max bindings (0: no cache, every get asks Redis), each kept at
   * most ttlMs and never past its Redis expiry. ttlMs bounds how long a replica may route a binding
   * whose invalidation it missed.
   */
  cache: { max: number; ttlMs: number };
  logger: Logger;
  /**
   * Bindings this replica wrote that Redis no longer has after it failed and answered again: writes
   * acknowledged by a master that died before replicating them (docs/operations.md, "Failover").
   */
  onLost?: (n: number) => void;
}

interface CachedBinding {
  binding: SessionBinding;
  /** The resync count when it was cached (RedisSessionRegistry.resyncs). */
  resync: number;
}

/** Entries examined per list() call at most, so one admin request cannot hold Redis for long. */
const LIST_SCAN_BUDGET = 10_000;
/** How long after a recovery bindings are checked for loss, and again while their slot still fails. */
const LOST_RECHECK_MS = 1000;

/**
 * Ends seen by onEnded: deletions made through this replica (delete, deleteByPod). Expiry happens
 * inside Redis and is not reported: Redis drops the value, and counting it on every replica would
 * count it several times.
 */
export class RedisSessionRegistry implements SessionRegistry {
  private readonly keys: SessionKeys;
  private readonly cache?: LRUCache<string, CachedBinding>;
  private readonly cacheTtlMs: number;
  private readonly ended = new EndListeners();
  private readonly refreshAfterMs: number;
  /** Bumped on every invalidation, so a Redis read that raced one is not cached. */
  private generation = 0;
  /** Bumped when invalidations may have been missed: older cache entries are checked with Redis before use. */
  private resyncs = 0;
  private unsubscribe?: () => void;
  private unwatch?: () => void;
  private readonly recent = new RecentWrites();

  constructor(
    private readonly store: RedisStore,
    private readonly options: RedisSessionRegistryOptions,
  ) {
    this.keys = new SessionKeys(store.keyPrefix, store.slotGroups, (t) => store.slotTag(t));
    this.refreshAfterMs = options.ttlMs / 20;
    this.cacheTtlMs = Math.min(options.cache.ttlMs, options.ttlMs);
    if (options.cache.max > 0) this.cache = new LRUCache<string, CachedBinding>({ max: options.cache.max, ttl: this.cacheTtlMs });
  }

  /** Listens for other replicas' invalidations (and keeps listening across reconnections). */
  start(): void {
    this.unsubscribe ??= this.store.subscribe(this.keys.invalidations, {
      message: (payload) => this.applyInvalidation(payload),
      // Invalidations published while the subscription was down are lost: every cached binding is
      // read again from Redis before its next use (and still used if Redis cannot answer yet).
      resync: () => {
        this.generation++;
        this.resyncs++;
      },
    });
    // Checked a moment after the store answers again, once a failover has settled.
    this.unwatch ??= this.store.onRecovered((since) => void setTimeout(() => void this.countLost(since), LOST_RECHECK_MS).unref());
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
  }

  /**
   * A cache hit needs no Redis, so cached sessions keep routing while Redis is down (or while the
   * master of their slot fails over). After a resync a cached binding is checked with Redis first,
   * unless Redis cannot answer.
   */
  async get(server: string, id: string): Promise<SessionBinding | undefined> {
    if (!isValidServerName(server) || !isValidSessionId(id)) return undefined;
    const position = listPosition(server, id);
    const cached = this.cache?.get(position);
    if (cached?.resync === this.resyncs) return cached.binding;
    const generation = this.generation;
    const key = this.keys.binding(server, id);
    let json: string | null;
    let pttl: number;
    try {
      [json, pttl] = await this.store.run('sessions.get', async (r) => {
        const replies = (await r.pipeline().get(key).pttl(key).exec()) ?? [];
        // No answer is not "no binding": a pipeline that was not run must not end the session.
        if (replies.length !== 2) throw new Error('the GET + PTTL pipeline was not run');
        for (const [err] of replies) if (err) throw err;
        return [replies[0]?.[1], replies[1]?.[1]] as [string | null, number];
      });
    } catch (err) {
      if (cached) return cached.binding;
      throw err;
    }
    const b = json ? decodeBinding(json, server, id) : undefined;
    if (json && !b) this.options.logger.warn({ server, key }, 'ignoring a malformed session binding in Redis');
    if (b && generation === this.generation) {
      this.cache?.set(position, { binding: b, resync: this.resyncs }, pttl > 0 ? { ttl: Math.min(this.cacheTtlMs, pttl) } : {});
    } else if (!b) {
      this.cache?.delete(position);
    }
    return b;
  }

  async put(b: SessionBinding): Promise<void> {
    assertValidBinding(b);
    const stored = { ...b };
    const g = this.keys.group(b.server, b.id);
    const args = [
      encodeBinding(stored),
      this.options.ttlMs,
      b.id,
      b.pod,
      listPosition(b.server, b.id),
      b.server,
      this.keys.podPrefix(b.server, g),
      this.keys.invalidations,
      invalidation(b.server, [b.id]),
    ];
    const { waitReplicas, waitTimeoutMs } = this.store.bindingWrites;
    if (waitReplicas > 0) {
      const { replicas } = await this.store.run('sessions.put', (r) => putBinding.runAndWait(r, this.indexKeys(b), args, waitReplicas, waitTimeoutMs));
      if (replicas < waitReplicas) this.options.logger.debug({ server: b.server, replicas, waitReplicas }, 'session binding written before enough replicas had it');
    } else {
      await this.store.run('sessions.put', (r) => putBinding.run(r, this.indexKeys(b), args));
    }
    this.recent.add(b.server, b.id, b.pod, Date.now());
    this.cache?.set(listPosition(b.server, b.id), { binding: stored, resync: this.resyncs });
  }

  /** Failures are logged and counted (RedisStore onError), never thrown: the request still routes. */
  async touch(b: SessionBinding, now: number): Promise<void> {
    if (now - b.lastSeenAt < this.refreshAfterMs) return;
    const next = { ...b, lastSeenAt: now };
    const position = listPosition(b.server, b.id);
    try {
      const written = await this.store.run('sessions.touch', (r) =>
        touchBinding.run(r, this.indexKeys(b), [encodeBinding(next), this.options.ttlMs, b.id, b.pod, position, b.server]),
      );
      if (written === 1) this.cache?.set(position, { binding: next, resync: this.resyncs });
      else this.invalidate(position);
    } catch (err) {
      this.options.logger.debug({ err, server: b.server }, 'session touch failed; the binding keeps its previous expiry');
    }
  }

  async delete(server: string, id: string, reason: Exclude<SessionEndReason, 'expired'> = 'deleted'): Promise<SessionBinding | undefined> {
    if (!isValidServerName(server) || !isValidSessionId(id)) return undefined;
    const position = listPosition(server, id);
    // Before Redis answers: if it cannot, this replica must still stop routing the session.
    this.invalidate(position);
    this.recent.forget(server, id);
    const g = this.keys.group(server, id);
    const value = await this.store.run('sessions.delete', (r) =>
      deleteBinding.run(
        r,
        [this.keys.binding(server, id), this.keys.listIndex(g)],
        [this.keys.podPrefix(server, g), id, position, this.keys.invalidations, invalidation(server, [id])],
      ),
    );
    const b = typeof value === 'string' ? decodeBinding(value, server, id) : undefined;
    if (b) this.ended.emit(b, reason);
    return b;
  }

  /** Sums the live counts of every slot group (one script per group, all sent at once). */
  async livePerPod(server: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (!isValidServerName(server)) return counts;
    const perGroup = await Promise.all(
      this.groups().map((g) =>
        this.store.run('sessions.livePerPod', (r) => countLivePerPod.run(r, [this.keys.pods(server, g), this.keys.listIndex(g)], [this.keys.podPrefix(server, g), server])),
      ),
    );
    for (const flat of perGroup as (string | number)[][]) {
      for (let i = 0; i + 1 < flat.length; i += 2) counts.set(String(flat[i]), (counts.get(String(flat[i])) ?? 0) + Number(flat[i + 1]));
    }
    return counts;
  }

  /** Walks the (server, id)-ordered index in chunks and filters in process; at most LIST_SCAN_BUDGET entries per call. */
  async list(q: SessionListQuery): Promise<SessionPage> {
    assertValidLimit(q.limit);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (q.server !== undefined && !isValidServerName(q.server)) return { items: [] };
    const serverStart = q.server === undefined ? undefined : `${q.server} `;
    // Start after the cursor, or at the server's first entry when the cursor lies before it.
    let min = after !== undefined && (serverStart === undefined || after >= serverStart) ? `(${after}` : serverStart !== undefined ? `[${serverStart}` : '-';
    const max = q.server === undefined ? '+' : `(${q.server}!`;
    const chunk = Math.min(Math.max(q.limit, 100), 1000);
    const items: SessionBinding[] = [];
    for (let examined = 0; examined < LIST_SCAN_BUDGET; examined += chunk) {
      const { positions, complete } = await this.nextPositions(min, max, chunk);
      const values = await this.bindingsAt(positions);
      for (const position of positions) {
        const { server, id } = splitListPosition(position);
        const value = values.get(position);
        const b = value ? decodeBinding(value, server, id) : undefined;
        if (!b || !matches(b, q)) continue;
        items.push(b);
        if (items.length === q.limit) return { items, nextCursor: encodeCursor(position) };
      }
      if (complete) return { items };
      min = `(${positions.at(-1)!}`;
    }
    return { items, nextCursor: encodeCursor(min.slice(1)) };
  }

  /**
   * The next positions in (server, id) order after min, from every group's index: each group
   * answers up to `chunk`; the merged answer stops at the smallest last position of a group that
   * may have more, so no group's entries are skipped. complete: no group has more.
   */
  private async nextPositions(min: string, max: string, chunk: number): Promise<{ positions: string[]; complete: boolean }> {
    const perGroup = await Promise.all(this.groups().map((g) => this.store.run('sessions.list', (r) => r.zrange(this.keys.listIndex(g), min, max, 'BYLEX', 'LIMIT', 0, chunk))));
    let bound: string | undefined;
    for (const p of perGroup) if (p.length === chunk && (bound === undefined || p.at(-1)! < bound)) bound = p.at(-1)!;
    const positions = perGroup.flat().filter((p) => bound === undefined || p <= bound).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { positions, complete: bound === undefined };
  }

  /** The stored values of the bindings at these positions: one MGET per slot group. */
  private async bindingsAt(positions: string[]): Promise<Map<string, string>> {
    const byGroup = new Map<number, string[]>();
    for (const p of positions) {
      const { server, id } = splitListPosition(p);
      const g = this.keys.group(server, id);
      byGroup.set(g, [...(byGroup.get(g) ?? []), p]);
    }
    const out = new Map<string, string>();
    await Promise.all(
      [...byGroup.values()].map(async (group) => {
        const keys = group.map((p) => {
          const { server, id } = splitListPosition(p);
          return this.keys.binding(server, id);
        });
        const values = await this.store.run('sessions.list', (r) => r.mget(keys));
        for (const [i, v] of values.entries()) if (v) out.set(group[i]!, v);
      }),
    );
    return out;
  }

  async deleteByPod(server: string, pod: string): Promise<number> {
    if (!isValidServerName(server) || !isValidSessionId(pod)) return 0;
    const perGroup = await Promise.all(
      this.groups().map((g) =>
        this.store.run('sessions.deleteByPod', (r) =>
          deletePodBindings.run(
            r,
            [this.keys.pod(server, pod, g), this.keys.pods(server, g), this.keys.listIndex(g)],
            [this.keys.bindingPrefix(server, g), pod, server, this.keys.invalidations],
          ),
        ),
      ),
    );
    let removed = 0;
    for (const flat of perGroup as string[][]) {
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const b = decodeBinding(flat[i + 1]!, server, flat[i]!);
        removed++;
        if (!b) continue;
        this.invalidate(listPosition(b.server, b.id));
        this.ended.emit(b, 'pod_gone');
      }
    }
    return removed;
  }

  onEnded(listener: SessionEndListener): () => void {
    return this.ended.add(listener);
  }

  private indexKeys(b: SessionBinding): string[] {
    const g = this.keys.group(b.server, b.id);
    return [this.keys.binding(b.server, b.id), this.keys.pod(b.server, b.pod, g), this.keys.pods(b.server, g), this.keys.listIndex(g)];
  }

  private groups(): number[] {
    return Array.from({ length: this.keys.groups }, (_, g) => g);
  }

  /**
   * After the store failed and answered again: bindings written shortly before the failure that
   * Redis no longer holds (or holds for another pod) were lost by a failover. Counted and logged.
   */
  private async countLost(failingSinceMs: number): Promise<void> {
    const suspects = this.recent.takeBefore(failingSinceMs);
    if (!suspects.length) return;
    let lost = 0;
    let unanswered = false;
    await Promise.all(
      suspects.map(async (w) => {
        try {
          const value = await this.store.run('sessions.verify', (r) => r.get(this.keys.binding(w.server, w.id)));
          if (value && decodeBinding(value, w.server, w.id)?.pod === w.pod) return;
          // Counted only: a cached copy keeps routing to the pod that holds the session, which is
          // better for its client than a 404, and a miscount can never end a live session.
          lost++;
        } catch {
          // Its slot is still failing over: check again shortly.
          this.recent.add(w.server, w.id, w.pod, w.atMs);
          unanswered = true;
        }
      }),
    );
    if (unanswered) setTimeout(() => void this.countLost(failingSinceMs), LOST_RECHECK_MS).unref();
    if (!lost) return;
    this.options.logger.warn({ lost, checked: suspects.length }, 'session bindings lost by a Redis failover; their clients get 404 and re-initialize');
    this.options.onLost?.(lost);
  }

  private invalidate(position: string): void {
    this.generation++;
    this.cache?.delete(position);
  }

  private applyInvalidation(payload: string): void {
    let message: unknown;
    try {
      message = JSON.parse(payload);
    } catch {
      return;
    }
    const { server, ids } = (message ?? {}) as { server?: unknown; ids?: unknown };
    if (typeof server !== 'string' || !Array.isArray(ids)) return;
    for (const id of ids) if (typeof id === 'string') this.invalidate(listPosition(server, id));
  }
}

/** The pub/sub payload naming bindings other replicas must drop from their caches. */
function invalidation(server: string, ids: string[]): string {
  return JSON.stringify({ server, ids });
}

function matches(b: SessionBinding, q: SessionListQuery): boolean {
  return (
    (q.server === undefined || b.server === q.server) &&
    (q.pod === undefined || b.pod === q.pod) &&
    (q.principal === undefined || b.principal === q.principal)
  );
}
