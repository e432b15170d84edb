// Which DPoP proof ids were already used. One replica can keep them in memory; several replicas
// need a shared store (the Redis implementation lives with the store module).

export interface ReplayCache {
  /** True when `jti` was recorded within its ttl (a replay); otherwise records it and returns false. */
  seen(jti: string, ttlMs: number): Promise<boolean>;
}

/**
 * In-process replay cache, bounded. Entries expire lazily (oldest first, as Map keeps insertion
 * order). When full it evicts the oldest live entry: proofs are only accepted within the iat window,
 * so the oldest entries are the ones closest to being unusable anyway.
 */
export class MemoryReplayCache implements ReplayCache {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly opts: { now?: () => number; maxEntries?: number } = {}) {}

  async seen(jti: string, ttlMs: number): Promise<boolean> {
    const now = (this.opts.now ?? Date.now)();
    this.dropExpired(now);
    const expiry = this.expiries.get(jti);
    if (expiry !== undefined && expiry > now) return true;
    if (this.expiries.size >= (this.opts.maxEntries ?? 100_000)) {
      const oldest = this.expiries.keys().next();
      if (oldest.done !== true) this.expiries.delete(oldest.value);
    }
    this.expiries.set(jti, now + ttlMs);
    return false;
  }

  private dropExpired(now: number): void {
    for (const [jti, expiry] of this.expiries) {
      if (expiry > now) return;
      this.expiries.delete(jti);
    }
  }
}
