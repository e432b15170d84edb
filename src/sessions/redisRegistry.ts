// Session bindings shared by every mcpgw replica through Redis, with an in-process cache in front
// so hot sessions route without a network round trip, and pub/sub invalidations so a binding ended
// on one replica stops routing on the others.
import { LRUCache } from 'lru-cache';
import type { RedisStore } from '../store/index.js';
import type { Logger } from '../telemetry/index.js';
import type { SessionBinding, SessionEndListener, SessionEndReason, SessionListQuery, SessionPage, SessionRegistry } from './binding.js';
import { decodeBinding, encodeBinding } from './codec.js';
import { EndListeners } from './endListeners.js';
import { decodeBucketCursor, encodeBucketCursor, listPosition, type BucketCursor } from './listOrder.js';
import { RecentWrites } from './recentWrites.js';
import { SessionKeys, idOfListMember, listMember, type BucketPlace } from './redisKeys.js';
import { countLivePerPod, deleteBinding, listedServers, putBinding, touchBinding } from './redisScripts.js';
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
  /**
   * List buckets per server (default 4096): each holds about live sessions ÷ buckets ids, and stays
   * in Redis's compact encoding while that is at most 128 (docs/operations.md, sizing).
   */
  buckets?: number;
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

const DEFAULT_LIST_BUCKETS = 4096;
/** Ids and buckets examined per list() call at most, so one admin request cannot hold Redis for long. */
const LIST_SCAN_BUDGET = 10_000;
/** List buckets read per round trip. */
const LIST_BATCH = 256;
/** Live sessions per pod are counted by expiry window: ttl / this (redisScripts.ts). */
const COUNT_WINDOWS = 64;
/** How long after a recovery bindings are checked for loss, and again while their slot still fails. */
const LOST_RECHECK_MS = 1000;

/**
 * Ends seen by onEnded: deletions made through this replica. Expiry happens
 * inside Redis and is not reported: Redis drops the value, and counting it on every replica would
 * count it several times.
 */
export class RedisSessionRegistry implements SessionRegistry {
  private readonly keys: SessionKeys;
  private readonly cache?: LRUCache<string, CachedBinding>;
  private readonly cacheTtlMs: number;
  private readonly ended = new EndListeners();
  private readonly refreshAfterMs: number;
  private readonly countWindowMs: number;
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
    this.keys = new SessionKeys(store.keyPrefix, store.slotGroups, options.buckets ?? DEFAULT_LIST_BUCKETS, (t) => store.slotTag(t));
    this.refreshAfterMs = options.ttlMs / 20;
    this.countWindowMs = Math.max(1, Math.floor(options.ttlMs / COUNT_WINDOWS));
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
    const { window, keys } = this.located(b.server, b.id);
    const args = [...window, encodeBinding(stored), this.options.ttlMs, listMember(b.id), b.pod, b.server, this.keys.invalidations, invalidation(b.server, [b.id])];
    const { waitReplicas, waitTimeoutMs } = this.store.bindingWrites;
    if (waitReplicas > 0) {
      const { replicas } = await this.store.run('sessions.put', (r) => putBinding.runAndWait(r, keys, args, waitReplicas, waitTimeoutMs));
      if (replicas < waitReplicas) this.options.logger.debug({ server: b.server, replicas, waitReplicas }, 'session binding written before enough replicas had it');
    } else {
      await this.store.run('sessions.put', (r) => putBinding.run(r, keys, args));
    }
    this.recent.add(b.server, b.id, b.pod, Date.now());
    this.cache?.set(listPosition(b.server, b.id), { binding: stored, resync: this.resyncs });
  }

  /** Failures are logged and counted (RedisStore onError), never thrown: the request still routes. */
  async touch(b: SessionBinding, now: number): Promise<void> {
    if (now - b.lastSeenAt < this.refreshAfterMs) return;
    const next = { ...b, lastSeenAt: now };
    const position = listPosition(b.server, b.id);
    const { window, keys } = this.located(b.server, b.id);
    try {
      const written = await this.store.run('sessions.touch', (r) =>
        touchBinding.run(r, keys, [...window, encodeBinding(next), this.options.ttlMs, listMember(b.id), b.pod, b.server]),
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
    const { keys, window } = this.located(server, id);
    const value = await this.store.run('sessions.delete', (r) =>
      deleteBinding.run(
        r,
        keys.slice(0, 3),
        [...window, listMember(id), this.keys.invalidations, invalidation(server, [id])],
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
        this.store.run('sessions.livePerPod', (r) => countLivePerPod.run(r, [this.keys.counts(server, g)], [this.countWindowMs, this.keys.windowPrefix(server, g)])),
      ),
    );
    for (const flat of perGroup as (string | number)[][]) {
      for (let i = 0; i + 1 < flat.length; i += 2) counts.set(String(flat[i]), (counts.get(String(flat[i])) ?? 0) + Number(flat[i + 1]));
    }
    return counts;
  }

  /**
   * Reads the list buckets in order, LIST_BATCH per round trip, and filters in process; at most
   * LIST_SCAN_BUDGET ids and buckets per call.
   */
  async list(q: SessionListQuery): Promise<SessionPage> {
    assertValidLimit(q.limit);
    const after = q.cursor === undefined ? undefined : decodeBucketCursor(q.cursor);
    if (q.server !== undefined && !isValidServerName(q.server)) return { items: [] };
    const servers = (q.server !== undefined ? [q.server] : await this.listedServers()).filter((s) => after === undefined || s >= after.server);
    const items: SessionBinding[] = [];
    let examined = 0;
    for (const server of servers) {
      const from = after?.server === server ? after : undefined;
      for (let group = from?.group ?? 0; group < this.keys.groups; group++) {
        const first = from && group === from.group ? from.bucket : 0;
        for (let start = first; start < this.keys.bucketsPerGroup; start += LIST_BATCH) {
          const end = Math.min(start + LIST_BATCH, this.keys.bucketsPerGroup);
          const resume = from && group === from.group ? from : undefined;
          const rows = await this.readBuckets(server, group, start, end, resume);
          for (const { place, id, value } of rows) {
            const b = decodeBinding(value, server, id);
            if (!b || !matches(b, q)) continue;
            items.push(b);
            if (items.length === q.limit) return { items, nextCursor: encodeBucketCursor({ server, ...place, id }) };
          }
          examined += end - start + rows.length;
          if (examined >= LIST_SCAN_BUDGET) return { items, nextCursor: encodeBucketCursor({ server, group, bucket: end - 1 }) };
        }
      }
    }
    return { items };
  }

  /** Servers with sessions in any group, in order. */
  private async listedServers(): Promise<string[]> {
    const perGroup = await Promise.all(this.groups().map((g) => this.store.run('sessions.list', (r) => listedServers.run(r, [this.keys.servers(g)], [this.keys.countsPrefix(g)]))));
    return [...new Set((perGroup as string[][]).flat())].filter(isValidServerName).sort();
  }

  /**
   * The live bindings of buckets [start, end) of one group, in (bucket, id) order, skipping what a
   * cursor already returned: one pipeline for the ids, one MGET for the values (one slot group).
   */
  private async readBuckets(server: string, group: number, start: number, end: number, after?: BucketCursor): Promise<{ place: BucketPlace; id: string; value: string }[]> {
    const places: BucketPlace[] = Array.from({ length: end - start }, (_, i) => ({ group, bucket: start + i }));
    const perBucket = await this.store.run('sessions.list', async (r) => {
      const pipeline = r.pipeline();
      for (const place of places) pipeline.zrangeBuffer(this.keys.bucket(server, place), '0', '-1');
      const replies = (await pipeline.exec()) ?? [];
      if (replies.length !== places.length) throw new Error('the list pipeline was not run');
      return replies.map(([err, ids]) => {
        if (err) throw err;
        return (ids as Buffer[]).map(idOfListMember);
      });
    });
    const rows: { place: BucketPlace; id: string }[] = [];
    for (const [i, ids] of perBucket.entries()) {
      const place = places[i]!;
      const resumed = after?.bucket === place.bucket ? after : undefined;
      if (resumed && resumed.id === undefined) continue; // a budget stop read this bucket whole
      for (const id of ids.sort()) if (!resumed || id > resumed.id!) rows.push({ place, id });
    }
    if (!rows.length) return [];
    const values = await this.store.run('sessions.list', (r) => r.mget(rows.map((row) => this.keys.binding(server, row.id, group))));
    return rows.flatMap((row, i) => (values[i] ? [{ ...row, value: values[i]! }] : []));
  }

  onEnded(listener: SessionEndListener): () => void {
    return this.ended.add(listener);
  }

  /**
   * A session's keys (binding, list bucket, pod totals, servers: put and touch use all four, delete
   * the first three) and the ARGV every session script starts with (redisScripts.ts): the count
   * window and its hashes' prefix. Hashed once per call.
   */
  private located(server: string, id: string): { keys: string[]; window: [number, string] } {
    const place = this.keys.place(server, id);
    return {
      keys: [this.keys.binding(server, id, place.group), this.keys.bucket(server, place), this.keys.counts(server, place.group), this.keys.servers(place.group)],
      window: [this.countWindowMs, this.keys.windowPrefix(server, place.group)],
    };
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
