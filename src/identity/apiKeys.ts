// API keys for machine clients. Config holds only SHA-256 digests. A high-entropy key needs no
// password KDF: one SHA-256 per request, a Map lookup by digest, then a constant-time compare of
// the digests (the lookup's timing can only reveal something about a hash of the key).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyOptions } from './options.js';
import type { Principal } from './types.js';

interface ApiKeyEntry {
  readonly digest: Buffer;
  readonly principal: Principal;
}

export class ApiKeyTable {
  private readonly byDigest = new Map<string, ApiKeyEntry>();

  constructor(keys: readonly ApiKeyOptions[]) {
    const names = new Set<string>();
    keys.forEach((k, i) => {
      const at = `apiKeys[${i}]`;
      if (!k.name) throw new Error(`${at}.name: required`);
      if (names.has(k.name)) throw new Error(`${at}.name: ${k.name} is listed twice`);
      names.add(k.name);
      if (!/^[0-9a-fA-F]{64}$/.test(k.sha256)) throw new Error(`${at}.sha256: must be 64 hex characters (SHA-256 of the key)`);
      const hex = k.sha256.toLowerCase();
      if (this.byDigest.has(hex)) throw new Error(`${at}.sha256: the same key digest is listed twice`);
      const subject = k.principal ?? k.name;
      this.byDigest.set(hex, {
        digest: Buffer.from(hex, 'hex'),
        principal: Object.freeze({
          id: `apikey:${subject}`,
          kind: 'apikey',
          subject,
          scopes: Object.freeze([...(k.scopes ?? [])]),
          roles: Object.freeze([]),
          groups: Object.freeze([]),
          ...(k.tenant !== undefined ? { tenant: k.tenant } : {}),
        }),
      });
    });
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** The principal for a presented key, or undefined for an unknown key. */
  lookup(presented: string): Principal | undefined {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    const entry = this.byDigest.get(digest.toString('hex'));
    return entry !== undefined && timingSafeEqual(entry.digest, digest) ? entry.principal : undefined;
  }
}

/** The digest to put in config for a key (for operators' tooling and tests). */
export function apiKeyDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
