// Verifying a bearer JWT: the unverified `iss` only chooses which issuer's keys and algorithms to
// use; everything the principal is built from is read after jose has checked the signature, iss,
// exp and nbf. The audience is checked by the caller because it depends on the request (and must be
// re-checked when a verified token comes from the cache).
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { Logger } from '../telemetry/index.js';
import { audiencesOf } from './audience.js';
import { claimAt, optionalString, scopesOf, stringList } from './claims.js';
import { invalidToken } from './failures.js';
import { NoKeysError, type JwksCache } from './jwks.js';
import type { ResolvedIssuer } from './options.js';
import type { AuthFailure, ChallengeScheme, Principal } from './types.js';

export interface VerifiedToken {
  /** Without spiffeId: that belongs to the connection, not the token, and is attached per request. */
  readonly principal: Principal;
  readonly expiresAtMs: number;
  readonly audiences: readonly string[];
  /** RFC 9449 cnf.jkt: the token is bound to this DPoP key thumbprint. */
  readonly boundJkt?: string;
  readonly issuer: ResolvedIssuer;
}

interface TrustedIssuer {
  readonly config: ResolvedIssuer;
  readonly jwks: JwksCache;
}

export class JwtVerifier {
  private readonly issuers: ReadonlyMap<string, TrustedIssuer>;
  private verifications = 0;

  constructor(issuers: readonly TrustedIssuer[], private readonly logger: Logger) {
    this.issuers = new Map(issuers.map((i) => [i.config.issuer, i]));
  }

  /** Signature verifications performed (cache misses), for stats. */
  get count(): number {
    return this.verifications;
  }

  async verify(token: string, nowMs: number, scheme: ChallengeScheme): Promise<VerifiedToken | AuthFailure> {
    let alg: unknown;
    let iss: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      iss = decodeJwt(token).iss;
    } catch {
      return invalidToken('malformed_token', 'token is not a well-formed JWT', scheme);
    }
    if (typeof iss !== 'string') return invalidToken('malformed_token', 'token has no issuer', scheme);
    const trusted = this.issuers.get(iss);
    if (trusted === undefined) return invalidToken('wrong_issuer', 'token issuer is not trusted', scheme);
    const { config } = trusted;
    // Checked before any key lookup so 'none', HS* or another issuer's algorithm never reaches the JWKS.
    if (typeof alg !== 'string' || !config.algorithms.includes(alg)) {
      return invalidToken('alg_not_allowed', 'token signing algorithm is not allowed', scheme);
    }
    this.verifications++;
    let payload: JWTPayload;
    try {
      payload = await verifyWithKeys(token, trusted.jwks, {
        algorithms: [...config.algorithms],
        issuer: config.issuer,
        clockTolerance: config.clockSkewSeconds,
        currentDate: new Date(nowMs),
        requiredClaims: ['exp', 'sub'],
      });
    } catch (err) {
      return this.failureFor(err, iss, scheme);
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') return invalidToken('malformed_token', 'token subject is not a string', scheme);
    return toVerified(payload, config, iss, payload.sub);
  }

  private failureFor(err: unknown, issuer: string, scheme: ChallengeScheme): AuthFailure {
    if (err instanceof NoKeysError) {
      this.logger.warn({ issuer }, 'token rejected: no signing keys loaded for the issuer');
      return invalidToken('no_keys', 'no signing keys are available for the token issuer', scheme);
    }
    if (err instanceof errors.JWTExpired) return invalidToken('expired', 'token expired', scheme);
    if (err instanceof errors.JWTClaimValidationFailed) {
      if (err.reason === 'missing') return invalidToken('malformed_token', `token lacks the ${err.claim} claim`, scheme);
      if (err.claim === 'nbf') return invalidToken('not_yet_valid', 'token is not valid yet', scheme);
      if (err.claim === 'iss') return invalidToken('wrong_issuer', 'token issuer is not trusted', scheme);
      return invalidToken('malformed_token', `token ${err.claim} claim is invalid`, scheme);
    }
    if (err instanceof errors.JOSEAlgNotAllowed) return invalidToken('alg_not_allowed', 'token signing algorithm is not allowed', scheme);
    if (err instanceof errors.JWKSNoMatchingKey) return invalidToken('unknown_key', 'token signing key is unknown', scheme);
    if (err instanceof errors.JWSSignatureVerificationFailed) return invalidToken('bad_signature', 'token signature is invalid', scheme);
    if (err instanceof errors.JOSEError) return invalidToken('malformed_token', 'token is not a well-formed JWT', scheme);
    // Not a token problem (e.g. a key jose refuses to import, an RSA modulus under 2048 bits): still
    // a 401 for the client, but operators need to see it.
    this.logger.error({ issuer, err: err instanceof Error ? err.message : String(err) }, 'token verification failed unexpectedly');
    return invalidToken('malformed_token', 'token could not be verified', scheme);
  }
}

/** jwtVerify, trying each candidate when a kid-less token matches several keys of the set. */
async function verifyWithKeys(token: string, jwks: JwksCache, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, jwks.resolve, options)).payload;
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    for await (const key of err as AsyncIterable<CryptoKey>) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

function toVerified(claims: JWTPayload, config: ResolvedIssuer, iss: string, sub: string): VerifiedToken {
  const tenant = config.tenantClaim !== undefined ? optionalString(claimAt(claims, config.tenantClaim)) : undefined;
  const expiresAtMs = (claims.exp as number) * 1000;
  // Frozen: a cached principal is shared by every request presenting the same token.
  const principal: Principal = Object.freeze({
    id: `jwt:${iss}#${sub}`,
    kind: 'jwt',
    subject: sub,
    issuer: iss,
    scopes: Object.freeze(scopesOf(claims, config.scopeClaim)),
    roles: Object.freeze(config.rolesClaim !== undefined ? stringList(claimAt(claims, config.rolesClaim)) : []),
    groups: Object.freeze(config.groupsClaim !== undefined ? stringList(claimAt(claims, config.groupsClaim)) : []),
    ...(tenant !== undefined ? { tenant } : {}),
    expiresAt: expiresAtMs,
  });
  const cnf = claims.cnf;
  const jkt = typeof cnf === 'object' && cnf !== null ? optionalString((cnf as Record<string, unknown>).jkt) : undefined;
  return {
    principal,
    expiresAtMs,
    audiences: audiencesOf(claims.aud),
    ...(jkt !== undefined ? { boundJkt: jkt } : {}),
    issuer: config,
  };
}
