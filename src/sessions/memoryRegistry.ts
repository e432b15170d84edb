// Session bindings in this process only (the single-replica default): an lru-cache whose TTL is the
// session's sliding TTL, on an injectable clock so expiry is testable without sleeping.
import { LRUCache } from 'lru-cache';
import type { SessionBinding, SessionEndListener, SessionEndReason, SessionListQuery, SessionPage, SessionRegistry } from './binding.js';
import { EndListeners } from './endListeners.js';
import { decodeCursor, encodeCursor, listPosition } from './listOrder.js';
import { assertValidBinding, assertValidLimit, isValidServerName, isValidSessionId } from './validate.js';

export interface MemorySessionRegistryOptions {
  /** Sliding TTL of a binding. */
  ttlMs: number;
  /** Most bindings kept; beyond it the least recently used one ends (reported as 'expired'). Default 1,000,000. */
  maxSessions?: number;
  now?: () => number;
}

const DEFAULT_MAX_SESSIONS = 1_000_000;
/** Expired bindings are swept (an O(sessions) walk) at most this often, on the clock the registry uses. */
const SWEEP_INTERVAL_MS = 10_000;

/**
 * Ends seen by onEnded: every local delete (with its reason), and expiry
 * or capacity eviction ('expired') when the cache notices it: on a lookup of the binding, or during
 * livePerPod and list, which purge expired bindings first.
 */
export class MemorySessionRegistry implements SessionRegistry {
  private readonly ended = new EndListeners();
  private readonly bindings: LRUCache<string, SessionBinding>;
  private readonly refreshAfterMs: number;
  /** server → pod → live bindings, kept as bindings come and go so new sessions cost no walk. */
  private readonly perPod = new Map<string, Map<string, number>>();
  private readonly now: () => number;
  private lastSweep = -Infinity;

  constructor(options: MemorySessionRegistryOptions) {
    const now = (this.now = options.now ?? Date.now);
    this.refreshAfterMs = options.ttlMs / 20;
    this.bindings = new LRUCache<string, SessionBinding>({
      // A size of 1 per binding bounds the count as `max` would, without `max`'s arrays preallocated
      // to full size (~45 MB at the default 1M sessions, held from start-up; docs/performance.md).
      maxSize: options.maxSessions ?? DEFAULT_MAX_SESSIONS,
      sizeCalculation: () => 1,
      ttl: options.ttlMs,
      // Read the clock on every check: the default caches it for 1 ms on a real timer, which an
      // injected test clock would not move.
      ttlResolution: 0,
      perf: { now },
      // Every way a binding leaves (overwrite, delete, expiry, eviction) passes here exactly once.
      dispose: (b, _key, reason) => {
        this.count(b, -1);
        if (reason === 'expire' || reason === 'evict') this.ended.emit(b, 'expired');
      },
    });
  }

  private count(b: SessionBinding, delta: 1 | -1): void {
    let pods = this.perPod.get(b.server);
    if (!pods) this.perPod.set(b.server, (pods = new Map()));
    const n = (pods.get(b.pod) ?? 0) + delta;
    if (n > 0) pods.set(b.pod, n);
    else pods.delete(b.pod);
  }

  async get(server: string, id: string): Promise<SessionBinding | undefined> {
    if (!isValidServerName(server) || !isValidSessionId(id)) return undefined;
    return this.bindings.get(listPosition(server, id));
  }

  async put(b: SessionBinding): Promise<void> {
    assertValidBinding(b);
    this.count(b, 1);
    this.bindings.set(listPosition(b.server, b.id), { ...b });
  }

  async touch(b: SessionBinding, now: number): Promise<void> {
    if (now - b.lastSeenAt < this.refreshAfterMs) return;
    const key = listPosition(b.server, b.id);
    const current = this.bindings.get(key);
    // Deleted, expired or re-bound meanwhile: a stale copy must not bring the session back.
    if (!current || current.pod !== b.pod) return;
    this.count(current, 1);
    this.bindings.set(key, { ...current, lastSeenAt: now });
  }

  async delete(server: string, id: string, reason: Exclude<SessionEndReason, 'expired'> = 'deleted'): Promise<SessionBinding | undefined> {
    if (!isValidServerName(server) || !isValidSessionId(id)) return undefined;
    const key = listPosition(server, id);
    const b = this.bindings.get(key);
    if (!b) return undefined;
    this.bindings.delete(key);
    this.ended.emit(b, reason);
    return b;
  }

  /**
   * Counts kept up to date as bindings change; expired ones leave at the next sweep (at most every
   * 10 s of clock time), so a session can count up to that long after it expired.
   */
  async livePerPod(server: string): Promise<Map<string, number>> {
    const t = this.now();
    if (t - this.lastSweep >= SWEEP_INTERVAL_MS) {
      this.lastSweep = t;
      this.bindings.purgeStale();
    }
    return new Map(this.perPod.get(server));
  }

  async list(q: SessionListQuery): Promise<SessionPage> {
    assertValidLimit(q.limit);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    this.bindings.purgeStale();
    const matches: [string, SessionBinding][] = [];
    for (const [position, b] of this.bindings.entries()) {
      if (after !== undefined && position <= after) continue;
      if (q.server !== undefined && b.server !== q.server) continue;
      if (q.pod !== undefined && b.pod !== q.pod) continue;
      if (q.principal !== undefined && b.principal !== q.principal) continue;
      matches.push([position, b]);
    }
    matches.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const page = matches.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map(([, b]) => b),
      ...(matches.length > q.limit && last ? { nextCursor: encodeCursor(last[0]) } : {}),
    };
  }

  onEnded(listener: SessionEndListener): () => void {
    return this.ended.add(listener);
  }
}
