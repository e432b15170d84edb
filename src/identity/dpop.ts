// DPoP proof checks (RFC 9449 §4.3 and §7.1) for a request presenting `Authorization: DPoP <token>`.
// Server nonces (§8, §9) are not issued: replay is bounded by the iat window plus the jti cache.
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, errors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { invalidDpopProof, invalidToken } from './failures.js';
import { ASYMMETRIC_ALGORITHMS } from './options.js';
import type { ReplayCache } from './replayCache.js';
import type { AuthFailure } from './types.js';

/** Proof algorithms accepted, advertised in the DPoP challenge's `algs`. */
export const DPOP_ALGORITHMS: readonly string[] = [...ASYMMETRIC_ALGORITHMS];

const MAX_JTI_LENGTH = 256;

export interface DpopRequest {
  proof: string | undefined;
  accessToken: string;
  /** The token's cnf.jkt; undefined when the token is not bound to a key. */
  boundJkt: string | undefined;
  method: string;
  url: string;
  nowMs: number;
  skewSeconds: number;
  maxProofBytes: number;
}

/** undefined when the proof is valid and was not seen before (its jti is now recorded). */
export async function checkDpopProof(req: DpopRequest, replay: ReplayCache): Promise<AuthFailure | undefined> {
  const { proof } = req;
  if (proof === undefined || proof === '') return invalidDpopProof('dpop_invalid', 'DPoP proof missing');
  if (proof.length > req.maxProofBytes) return invalidDpopProof('dpop_invalid', 'DPoP proof too large');
  // Envoy joins repeated headers with commas; RFC 9449 §4.3 allows exactly one proof.
  if (proof.includes(',')) return invalidDpopProof('dpop_invalid', 'more than one DPoP proof');
  if (req.boundJkt === undefined) return invalidToken('dpop_invalid', 'token is not bound to a DPoP key', 'DPoP');

  let claims: JWTPayload;
  let jwk: JWK;
  try {
    const header = decodeProtectedHeader(proof);
    if (typeof header.jwk !== 'object' || header.jwk === null) return invalidDpopProof('dpop_invalid', 'DPoP proof has no jwk header');
    jwk = header.jwk;
    claims = (
      await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [...DPOP_ALGORITHMS],
        requiredClaims: ['jti', 'htm', 'htu', 'iat'],
        currentDate: new Date(req.nowMs),
        clockTolerance: req.skewSeconds,
      })
    ).payload;
  } catch (err) {
    return invalidDpopProof('dpop_invalid', proofErrorDescription(err));
  }

  if (claims.htm !== req.method) return invalidDpopProof('dpop_invalid', 'DPoP proof htm does not match the request method');
  if (typeof claims.htu !== 'string' || !sameTarget(claims.htu, req.url)) {
    return invalidDpopProof('dpop_invalid', 'DPoP proof htu does not match the request URL');
  }
  const iat = claims.iat as number;
  if (Math.abs(req.nowMs / 1000 - iat) > req.skewSeconds) return invalidDpopProof('dpop_invalid', 'DPoP proof iat is outside the accepted window');
  if (claims.ath === undefined) return invalidDpopProof('dpop_invalid', 'DPoP proof has no ath claim');
  if (claims.ath !== accessTokenHash(req.accessToken)) return invalidDpopProof('dpop_invalid', 'DPoP proof ath does not match the token');
  if ((await calculateJwkThumbprint(jwk, 'sha256')) !== req.boundJkt) {
    return invalidToken('dpop_invalid', 'DPoP proof key does not match the key the token is bound to', 'DPoP');
  }
  const jti = claims.jti;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) return invalidDpopProof('dpop_invalid', 'DPoP proof jti is invalid');
  // Scoped by key: a jti only has to be unique per client key. The window covers iat ± skew.
  if (await replay.seen(`${req.boundJkt}:${jti}`, 2 * req.skewSeconds * 1000 + 1000)) {
    return invalidDpopProof('dpop_replay', 'DPoP proof was already used');
  }
  return undefined;
}

/** RFC 9449 §4.2 ath: base64url(SHA-256(ASCII access token)). */
function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/** RFC 9449 §4.3 step 9: htu matches ignoring query and fragment; scheme and host compare case-insensitively. */
function sameTarget(htu: string, url: string): boolean {
  try {
    const a = new URL(htu);
    const b = new URL(url);
    return a.protocol === b.protocol && a.host === b.host && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

function proofErrorDescription(err: unknown): string {
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'typ') return 'DPoP proof typ must be dpop+jwt';
    if (err.reason === 'missing') return `DPoP proof has no ${err.claim} claim`;
    return `DPoP proof ${err.claim} claim is invalid`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'DPoP proof algorithm is not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'DPoP proof signature is invalid';
  return 'DPoP proof is not a well-formed JWT';
}
