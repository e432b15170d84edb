// One issuer's signing keys, cached. Keys come from a URL or a local file (the same code path, so a
// mounted Secret can rotate too). The set is reloaded when it is older than maxAge (in the
// background: requests keep using the keys they have) and when a token names a kid it lacks (at
// most once per cool-down, so a flood of random kids cannot hammer the IdP). A failed reload keeps
// the previous keys: an IdP outage must not log everybody out.
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, errors, type CryptoKey, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters, type LocalJWKSet } from 'jose';
import type { Logger } from '../telemetry/index.js';

/** The set is empty or was never loaded: distinct from an unknown kid so operators see the outage. */
export class NoKeysError extends Error {
  constructor() {
    super('no signing keys loaded');
  }
}

export type JwksLocation = { readonly uri: string } | { readonly file: string };

export interface JwksCacheDeps {
  now: () => number;
  fetch: typeof fetch;
  logger: Logger;
}

const FETCH_TIMEOUT_MS = 5000;
const MAX_JWKS_BYTES = 1024 * 1024;

export class JwksCache {
  private keySet: LocalJWKSet | undefined;
  private keyCount = 0;
  private loadedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private loadAttempts = 0;

  constructor(
    private readonly location: JwksLocation,
    private readonly limits: { cooldownMs: number; maxAgeMs: number },
    private readonly deps: JwksCacheDeps,
  ) {}

  /** Reloads now (deduplicated with any reload in flight); never rejects. */
  refresh(): Promise<void> {
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Reload attempts so far (for stats). */
  get loads(): number {
    return this.loadAttempts;
  }

  stop(): void {
    this.stopping.abort();
  }

  /** A jose key resolver: pass to jwtVerify. Throws NoKeysError, or jose's JWKS errors. */
  readonly resolve = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    const now = this.deps.now();
    if (this.keySet === undefined || this.keyCount === 0) {
      if (this.mayReload(now)) await this.refresh();
    } else if (now - this.loadedAt > this.limits.maxAgeMs && this.mayReload(now)) {
      void this.refresh();
    }
    try {
      return await this.select(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || !this.mayReload(this.deps.now())) throw err;
      // Unknown kid: the issuer may have rotated. Reload once, then decide.
      await this.refresh();
      return this.select(header, token);
    }
  };

  private select(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    if (this.keySet === undefined || this.keyCount === 0) throw new NoKeysError();
    return this.keySet(header, token);
  }

  private mayReload(now: number): boolean {
    return this.inFlight !== undefined || now - this.attemptedAt >= this.limits.cooldownMs;
  }

  private async load(): Promise<void> {
    this.attemptedAt = this.deps.now();
    this.loadAttempts++;
    try {
      const { keys } = await this.read();
      this.keySet = createLocalJWKSet({ keys });
      this.keyCount = keys.length;
      this.loadedAt = this.deps.now();
      if (keys.length === 0) this.deps.logger.warn({ jwks: this.describe() }, 'JWKS has no usable keys');
    } catch (err) {
      this.deps.logger.warn(
        { jwks: this.describe(), err: err instanceof Error ? err.message : String(err), keptKeys: this.keyCount },
        'JWKS load failed; keeping the keys already loaded',
      );
    }
  }

  private async read(): Promise<JSONWebKeySet> {
    let text: string;
    if ('file' in this.location) {
      text = await readFile(this.location.file, 'utf8');
    } else {
      const res = await this.deps.fetch(this.location.uri, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const declared = Number(res.headers.get('content-length') ?? '0');
      if (declared > MAX_JWKS_BYTES) throw new Error(`JWKS larger than ${MAX_JWKS_BYTES} bytes`);
      text = await res.text();
    }
    if (text.length > MAX_JWKS_BYTES) throw new Error(`JWKS larger than ${MAX_JWKS_BYTES} bytes`);
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
      throw new Error('not a JWK Set (no "keys" array)');
    }
    return parsed as JSONWebKeySet;
  }

  private describe(): string {
    return 'file' in this.location ? this.location.file : this.location.uri;
  }
}
