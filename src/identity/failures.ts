// Building AuthFailure values, so each status / error code pairing (RFC 6750 §3.1, RFC 9449 §7.1)
// is written once.
import type { AuthFailure, AuthFailureReason, ChallengeScheme } from './types.js';

/** No credentials this gateway accepts: 401 whose challenge carries no error attribute. */
export function missingCredentials(description: string): AuthFailure {
  return { ok: false, status: 401, scheme: 'Bearer', description, reason: 'missing_token' };
}

/** The request itself is malformed (bad header syntax, several credentials at once). */
export function invalidRequest(description: string): AuthFailure {
  return { ok: false, status: 400, error: 'invalid_request', scheme: 'Bearer', description, reason: 'malformed_request' };
}

export function invalidToken(reason: AuthFailureReason, description: string, scheme: ChallengeScheme = 'Bearer'): AuthFailure {
  return { ok: false, status: 401, error: 'invalid_token', scheme, description, reason };
}

export function invalidDpopProof(reason: 'dpop_invalid' | 'dpop_replay', description: string): AuthFailure {
  return { ok: false, status: 401, error: 'invalid_dpop_proof', scheme: 'DPoP', description, reason };
}

export function isFailure<T extends object>(v: T | AuthFailure): v is AuthFailure {
  return 'ok' in v && v.ok === false;
}
