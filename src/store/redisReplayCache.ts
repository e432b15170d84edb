// DPoP proof ids shared by every replica: SET NX with the proof's lifetime. While Redis is away a
// local cache keeps replays out of this replica at least, instead of refusing every DPoP client.
import { createHash } from 'node:crypto';
import type { RedisStore } from './redisStore.js';

interface ReplayCacheLike {
  seen(jti: string, ttlMs: number): Promise<boolean>;
}

export class RedisReplayCache implements ReplayCacheLike {
  constructor(
    private readonly store: RedisStore,
    private readonly fallback: ReplayCacheLike,
  ) {}

  async seen(jti: string, ttlMs: number): Promise<boolean> {
    const key = `${this.store.keyPrefix}dpop:${createHash('sha256').update(jti).digest('base64url')}`;
    try {
      const set = await this.store.run('dpop.replay', (r) => r.set(key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'));
      return set === null;
    } catch {
      return this.fallback.seen(jti, ttlMs);
    }
  }
}
