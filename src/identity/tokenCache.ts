// Verified tokens, so a repeat presentation costs a hash and a map lookup instead of a signature
// check. Keyed by SHA-256 of the token (the cache never holds a usable credential as a key). Only
// what the token itself proved is cached: exp is re-checked on every lookup, and audience, DPoP and
// the caller's mesh identity are per-request checks done by the authenticator.
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { VerifiedToken } from './jwt.js';

export class VerifiedTokenCache {
  private readonly entries: LRUCache<string, VerifiedToken>;
  private hitCount = 0;

  constructor(maxEntries: number) {
    this.entries = new LRUCache({ max: maxEntries });
  }

  /** Node's one-shot hash: about half the cost of createHash().update().digest() per request. */
  static keyOf(token: string): string {
    return hash('sha256', token, 'base64url');
  }

  /** The cached verification, unless it expired (clock skew allowed, as at verification time). */
  get(key: string, nowMs: number): VerifiedToken | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    if (nowMs >= hit.expiresAtMs + hit.issuer.clockSkewSeconds * 1000) {
      this.entries.delete(key);
      return undefined;
    }
    this.hitCount++;
    return hit;
  }

  set(key: string, verified: VerifiedToken): void {
    this.entries.set(key, verified);
  }

  get hits(): number {
    return this.hitCount;
  }

  get size(): number {
    return this.entries.size;
  }
}
