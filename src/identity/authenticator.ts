// Who is calling: one entry point that turns a request's credentials into a Principal or a precise
// AuthFailure. Never throws on a request: every failure is a 400/401 value, so a broken IdP or a
// hostile token cannot become a 500. Nothing here logs token or key material, only reasons.
import type { AuthChallenge, Authenticator as AuthenticatorPort } from '../core/index.js';
import type { Logger } from '../telemetry/index.js';
import { ApiKeyTable } from './apiKeys.js';
import { audienceAccepted } from './audience.js';
import { bearerChallenge, challengeFor } from './challenge.js';
import { presentedCredential } from './credentials.js';
import { DPOP_ALGORITHMS, checkDpopProof } from './dpop.js';
import { invalidToken, isFailure, missingCredentials } from './failures.js';
import { JwksCache } from './jwks.js';
import { JwtVerifier, type VerifiedToken } from './jwt.js';
import { resolveOptions, type AuthenticatorOptions, type ResolvedOptions } from './options.js';
import { MemoryReplayCache, type ReplayCache } from './replayCache.js';
import { VerifiedTokenCache } from './tokenCache.js';
import type { AuthFailure, AuthInput, AuthOutcome, ChallengeScheme, Principal } from './types.js';

export interface AuthenticatorDeps {
  now?: () => number;
  fetch?: typeof fetch;
  /** Shared across replicas in production (Redis); in memory by default. */
  replayCache?: ReplayCache;
  logger: Logger;
}

export interface AuthenticatorStats {
  /** Signature verifications (token cache misses). */
  readonly jwtVerifications: number;
  readonly tokenCacheHits: number;
  readonly tokenCacheEntries: number;
  /** JWKS load attempts, all issuers. */
  readonly jwksLoads: number;
}

export class Authenticator implements AuthenticatorPort {
  readonly dpopAlgorithms = DPOP_ALGORITHMS;
  private readonly options: ResolvedOptions;
  private readonly keySets: readonly JwksCache[];
  private readonly verifier: JwtVerifier;
  private readonly apiKeys: ApiKeyTable;
  private readonly tokens: VerifiedTokenCache;
  private readonly replay: ReplayCache;
  private readonly now: () => number;
  private readonly logger: Logger;

  /** Validates options (throws on unsafe ones); does no I/O: keys load in start(). */
  constructor(opts: AuthenticatorOptions, deps: AuthenticatorDeps) {
    this.options = resolveOptions(opts);
    this.now = deps.now ?? Date.now;
    this.logger = deps.logger;
    this.replay = deps.replayCache ?? new MemoryReplayCache({ now: this.now });
    const limits = { cooldownMs: this.options.jwksCooldownMs, maxAgeMs: this.options.jwksCacheMs };
    const jwksDeps = { now: this.now, fetch: deps.fetch ?? globalThis.fetch, logger: this.logger };
    const trusted = this.options.issuers.map((config) => ({ config, jwks: new JwksCache(config.jwks, limits, jwksDeps) }));
    this.keySets = trusted.map((t) => t.jwks);
    this.verifier = new JwtVerifier(trusted, this.logger);
    this.apiKeys = new ApiKeyTable(this.options.apiKeys);
    this.tokens = new VerifiedTokenCache(this.options.tokenCacheEntries);
  }

  /** Header (lower case) whose value the caller passes as AuthInput.apiKey. */
  get apiKeyHeader(): string {
    return this.options.apiKeyHeader;
  }

  /** RFC 6750 / 9449 challenges: a failure in the scheme the client used, a scope step-up as Bearer. */
  challenge(c: AuthChallenge): string {
    const { resourceMetadataUrl, scope } = c;
    if (c.failure) return challengeFor(c.failure, { resourceMetadataUrl, dpopAlgs: this.dpopAlgorithms, ...(scope ? { scope } : {}) });
    return bearerChallenge({ resourceMetadataUrl, ...(scope ? { scope } : {}), ...(c.error ? { error: c.error } : {}), ...(c.description ? { description: c.description } : {}) });
  }

  /** Loads every issuer's keys. Failures are logged, not fatal: tokens get 401 no_keys until a reload works. */
  async start(): Promise<void> {
    await Promise.all(this.keySets.map((k) => k.refresh()));
  }

  async stop(): Promise<void> {
    for (const k of this.keySets) k.stop();
  }

  stats(): AuthenticatorStats {
    return {
      jwtVerifications: this.verifier.count,
      tokenCacheHits: this.tokens.hits,
      tokenCacheEntries: this.tokens.size,
      jwksLoads: this.keySets.reduce((n, k) => n + k.loads, 0),
    };
  }

  async authenticate(input: AuthInput): Promise<AuthOutcome> {
    let outcome: AuthOutcome;
    try {
      outcome = await this.decide(input);
    } catch (err) {
      this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'authentication failed unexpectedly');
      outcome = invalidToken('malformed_token', 'credentials could not be verified');
    }
    if (!outcome.ok) this.logger.debug({ reason: outcome.reason, status: outcome.status }, 'authentication failed');
    return outcome;
  }

  private async decide(input: AuthInput): Promise<AuthOutcome> {
    const presented = presentedCredential(input, {
      maxTokenBytes: this.options.maxTokenBytes,
      apiKeysEnabled: this.apiKeys.size > 0,
    });
    if (isFailure(presented)) return presented;
    const spiffeId = meshIdentity(input.spiffeId);
    switch (presented.kind) {
      case 'none':
        if (spiffeId !== undefined) return { ok: true, principal: spiffePrincipal(spiffeId) };
        if (input.allowAnonymous === true) return { ok: true };
        return missingCredentials('authentication required');
      case 'apikey': {
        const principal = this.apiKeys.lookup(presented.key);
        if (principal === undefined) return invalidToken('unknown_api_key', 'API key is not recognised');
        return { ok: true, principal: withMeshIdentity(principal, spiffeId) };
      }
      case 'token':
        return this.authenticateToken(presented.token, presented.scheme, input, spiffeId);
    }
  }

  private async authenticateToken(token: string, scheme: ChallengeScheme, input: AuthInput, spiffeId: string | undefined): Promise<AuthOutcome> {
    const nowMs = this.now();
    const cacheKey = VerifiedTokenCache.keyOf(token);
    let verified = this.tokens.get(cacheKey, nowMs);
    if (verified === undefined) {
      const fresh = await this.verifier.verify(token, nowMs, scheme);
      if (isFailure(fresh)) return fresh;
      this.tokens.set(cacheKey, fresh);
      verified = fresh;
    }
    // Per request, cached or not: the same token may be replayed against another server.
    if (!audienceAccepted(verified.audiences, input.resource, verified.issuer.audiences)) {
      return invalidToken('wrong_audience', 'token audience does not include this resource', scheme);
    }
    const binding = await this.checkBinding(verified, token, scheme, input, nowMs);
    if (binding !== undefined) return binding;
    return { ok: true, principal: withMeshIdentity(verified.principal, spiffeId) };
  }

  /** RFC 9449: DPoP where the issuer asks for it, and never a bound token used as a plain bearer token. */
  private async checkBinding(
    verified: VerifiedToken,
    token: string,
    scheme: ChallengeScheme,
    input: AuthInput,
    nowMs: number,
  ): Promise<AuthFailure | undefined> {
    const mode = verified.issuer.dpop;
    if (scheme === 'DPoP') {
      if (mode === 'off') return invalidToken('dpop_invalid', 'DPoP is not accepted for this token issuer');
      return checkDpopProof(
        {
          proof: input.dpop,
          accessToken: token,
          boundJkt: verified.boundJkt,
          method: input.method,
          url: input.url,
          nowMs,
          skewSeconds: verified.issuer.clockSkewSeconds,
          maxProofBytes: this.options.maxTokenBytes,
        },
        this.replay,
      );
    }
    if (mode === 'required') return invalidToken('dpop_required', 'token must be presented with a DPoP proof', 'DPoP');
    // A stolen bound token must not work by simply downgrading to Bearer (RFC 9449 §7.1).
    if (verified.boundJkt !== undefined) {
      return invalidToken('dpop_required', 'token is bound to a DPoP key', mode === 'off' ? 'Bearer' : 'DPoP');
    }
    return undefined;
  }
}

/** Only a SPIFFE URI is a mesh identity; anything else Envoy reports is ignored. */
function meshIdentity(spiffeId: string | undefined): string | undefined {
  return spiffeId !== undefined && spiffeId.startsWith('spiffe://') ? spiffeId : undefined;
}

function spiffePrincipal(spiffeId: string): Principal {
  return { id: `spiffe:${spiffeId}`, kind: 'spiffe', subject: spiffeId, scopes: [], roles: [], groups: [], spiffeId };
}

function withMeshIdentity(principal: Principal, spiffeId: string | undefined): Principal {
  return spiffeId === undefined ? principal : Object.freeze({ ...principal, spiffeId });
}
