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
}

/** Entries examined per list() call at most, so one admin request cannot hold Redis for long. */
const LIST_SCAN_BUDGET = 10_000;

/**
 * Ends seen by onEnded: deletions made through this replica (delete, deleteByPod). Expiry happens
 * inside Redis and is not reported: Redis drops the value, and counting it on every replica would
 * count it several times.
 */
export class RedisSessionRegistry implements SessionRegistry {
  private readonly keys: SessionKeys;
  private readonly cache?: LRUCache<string, SessionBinding>;
  private readonly cacheTtlMs: number;
  private readonly ended = new EndListeners();
  private readonly refreshAfterMs: number;
  /** Bumped on every invalidation, so a Redis read that raced one is not cached. */
  private generation = 0;
  private unsubscribe?: () => void;

  constructor(
    private readonly store: RedisStore,
    private readonly options: RedisSessionRegistryOptions,
  ) {
    this.keys = new SessionKeys(store.keyPrefix);
    this.refreshAfterMs = options.ttlMs / 20;
    this.cacheTtlMs = Math.min(options.cache.ttlMs, options.ttlMs);
    if (options.cache.max > 0) this.cache = new LRUCache<string, SessionBinding>({ max: options.cache.max, ttl: this.cacheTtlMs });
  }

  /** Listens for other replicas' invalidations (and keeps listening across reconnections). */
  start(): void {
    this.unsubscribe ??= this.store.subscribe(this.keys.invalidations, {
      message: (payload) => this.applyInvalidation(payload),
      // Invalidations published while the subscription was down are lost: drop what they may have hit.
      resync: () => {
        this.generation++;
        this.cache?.clear();
      },
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** A cache hit needs no Redis, so cached sessions keep routing while Redis is down. */
  async get(server: string, id: string): Promise<SessionBinding | undefined> {
    if (!isValidServerName(server) || !isValidSessionId(id)) return undefined;
    const position = listPosition(server, id);
    const cached = this.cache?.get(position);
    if (cached) return cached;
    const generation = this.generation;
    const key = this.keys.binding(server, id);
    const [json, pttl] = await this.store.run('sessions.get', async (r) => {
      const replies = (await r.pipeline().get(key).pttl(key).exec()) ?? [];
      for (const [err] of replies) if (err) throw err;
      return [replies[0]?.[1], replies[1]?.[1]] as [string | null, number];
    });
    const b = json ? decodeBinding(json) : undefined;
    if (json && !b) this.options.logger.warn({ server, key }, 'ignoring a malformed session binding in Redis');
    if (b && generation === this.generation) {
      this.cache?.set(position, b, pttl > 0 ? { ttl: Math.min(this.cacheTtlMs, pttl) } : {});
    }
    return b;
  }

  async put(b: SessionBinding): Promise<void> {
    assertValidBinding(b);
    const stored = { ...b };
    await this.store.run('sessions.put', (r) =>
      putBinding.run(r, this.indexKeys(b), [
        encodeBinding(stored),
        this.options.ttlMs,
        b.id,
        b.pod,
        listPosition(b.server, b.id),
        this.keys.podPrefix(b.server),
        this.keys.invalidations,
        invalidation(b.server, [b.id]),
      ]),
    );
    this.cache?.set(listPosition(b.server, b.id), stored);
  }

  /** Failures are logged and counted (RedisStore onError), never thrown: the request still routes. */
  async touch(b: SessionBinding, now: number): Promise<void> {
    if (now - b.lastSeenAt < this.refreshAfterMs) return;
    const next = { ...b, lastSeenAt: now };
    const position = listPosition(b.server, b.id);
    try {
      const written = await this.store.run('sessions.touch', (r) =>
        touchBinding.run(r, this.indexKeys(b), [encodeBinding(next), this.options.ttlMs, b.id, b.pod, position]),
      );
      if (written === 1) this.cache?.set(position, next);
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
    const json = await this.store.run('sessions.delete', (r) =>
      deleteBinding.run(
        r,
        [this.keys.binding(server, id), this.keys.listIndex, this.keys.expiryIndex],
        [this.keys.podPrefix(server), id, position, this.keys.invalidations, invalidation(server, [id])],
      ),
    );
    const b = typeof json === 'string' ? decodeBinding(json) : undefined;
    if (b) this.ended.emit(b, reason);
    return b;
  }

  async livePerPod(server: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (!isValidServerName(server)) return counts;
    const flat = (await this.store.run('sessions.livePerPod', (r) =>
      countLivePerPod.run(r, [this.keys.pods(server)], [this.keys.podPrefix(server)]),
    )) as (string | number)[];
    for (let i = 0; i + 1 < flat.length; i += 2) counts.set(String(flat[i]), Number(flat[i + 1]));
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
      const positions = await this.store.run('sessions.list', (r) => r.zrange(this.keys.listIndex, min, max, 'BYLEX', 'LIMIT', 0, chunk));
      if (positions.length === 0) return { items };
      const keys = positions.map((p) => {
        const { server, id } = splitListPosition(p);
        return this.keys.binding(server, id);
      });
      const values = await this.store.run('sessions.list', (r) => r.mget(keys));
      for (const [i, json] of values.entries()) {
        const b = json ? decodeBinding(json) : undefined;
        if (!b || !matches(b, q)) continue;
        items.push(b);
        if (items.length === q.limit) return { items, nextCursor: encodeCursor(positions[i]!) };
      }
      if (positions.length < chunk) return { items };
      min = `(${positions.at(-1)!}`;
    }
    return { items, nextCursor: encodeCursor(min.slice(1)) };
  }

  async deleteByPod(server: string, pod: string): Promise<number> {
    if (!isValidServerName(server) || !isValidSessionId(pod)) return 0;
    const removed = (await this.store.run('sessions.deleteByPod', (r) =>
      deletePodBindings.run(
        r,
        [this.keys.pod(server, pod), this.keys.pods(server), this.keys.listIndex, this.keys.expiryIndex],
        [this.keys.bindingPrefix(server), pod, server, this.keys.invalidations],
      ),
    )) as string[];
    for (const json of removed) {
      const b = decodeBinding(json);
      if (!b) continue;
      this.invalidate(listPosition(b.server, b.id));
      this.ended.emit(b, 'pod_gone');
    }
    return removed.length;
  }

  onEnded(listener: SessionEndListener): () => void {
    return this.ended.add(listener);
  }

  private indexKeys(b: SessionBinding): string[] {
    return [
      this.keys.binding(b.server, b.id),
      this.keys.pod(b.server, b.pod),
      this.keys.pods(b.server),
      this.keys.listIndex,
      this.keys.expiryIndex,
    ];
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
