// Hashes for the audit log and trace attributes: session ids (keyed, so a log reader cannot test a
// guessed id) and tool arguments (plain SHA-256 of canonical JSON, so an investigator can check
// "were these the arguments?" without the log holding them).
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Hex characters kept of a session id hash: 64 bits, enough to tell sessions apart in one log. */
const SESSION_HASH_HEX = 16;
/** Session ids are 1 to 256 visible ASCII characters (src/sessions/validate.ts); longer ones are not cached. */
const MAX_CACHED_ID_LENGTH = 256;

export class SessionIdHasher {
  private readonly key: Buffer;
  /** True when the key was drawn at start-up: hashes then differ between replicas and restarts. */
  readonly perProcess: boolean;

  /**
   * `salt` (from a Secret, the same on every replica) makes one session's hash equal on all replicas;
   * without it a random per-process key is used, which is safe but breaks cross-replica correlation.
   */
  constructor(salt?: string) {
    this.perProcess = salt === undefined || salt.length === 0;
    this.key = this.perProcess ? randomBytes(32) : Buffer.from(salt!, 'utf8');
  }

  /**
   * A session's requests repeat its id: hash each live id once, not once per request. Ids come from
   * clients, so only ids of a valid session id's length are kept (at most 10,000 × 256 characters).
   */
  private readonly recent = new LRUCache<string, string>({ max: 10_000 });

  /** Ids whose hash is cached (bounded: see `recent`). */
  get cachedIds(): number {
    return this.recent.size;
  }

  /** HMAC-SHA-256(salt, id), hex, first 16 characters. */
  hash(sessionId: string): string {
    let h = this.recent.get(sessionId);
    if (h === undefined) {
      h = createHmac('sha256', this.key).update(sessionId, 'utf8').digest('hex').slice(0, SESSION_HASH_HEX);
      if (sessionId.length <= MAX_CACHED_ID_LENGTH) this.recent.set(sessionId, h);
    }
    return h;
  }
}

/** JSON with object keys sorted at every level, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
