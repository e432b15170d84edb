// The values identity hands to the rest of mcpgw: who is calling (Principal) or why nobody is
// (AuthFailure). Plain data, no Envoy or config types, so both adapters and tests can build them.

export interface Principal {
  /** Stable id used for ownership and rate limits: "jwt:<iss>#<sub>", "apikey:<name>", "spiffe:<spiffe id>". */
  readonly id: string;
  readonly kind: 'jwt' | 'apikey' | 'spiffe';
  readonly subject: string;
  readonly issuer?: string;
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly groups: readonly string[];
  readonly tenant?: string;
  /** Mesh identity of the calling workload, when Envoy reported one (also set alongside a JWT). */
  readonly spiffeId?: string;
  /** ms epoch; absent for credentials that do not expire (API keys, mesh identities). */
  readonly expiresAt?: number;
}

export type AuthFailureReason =
  | 'missing_token'
  | 'malformed_request'
  | 'malformed_token'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'unknown_key'
  | 'alg_not_allowed'
  | 'token_too_large'
  | 'dpop_required'
  | 'dpop_invalid'
  | 'dpop_replay'
  | 'unknown_api_key'
  | 'no_keys';

/** RFC 6750 §3.1 / RFC 9449 §7.1 error codes. */
export type AuthErrorCode = 'invalid_request' | 'invalid_token' | 'invalid_dpop_proof';

/** The authentication scheme a challenge must use: DPoP when the client authenticated with DPoP (RFC 9449 §7.1). */
export type ChallengeScheme = 'Bearer' | 'DPoP';

export interface AuthFailure {
  readonly ok: false;
  readonly status: 400 | 401;
  /**
   * Absent when the request carried no credentials this gateway accepts: RFC 6750 §3.1 says the
   * challenge then has no error attribute (the client simply has not authenticated yet).
   */
  readonly error?: AuthErrorCode;
  readonly scheme: ChallengeScheme;
  /** Safe to show the client: names the check that failed, never token contents or internals. */
  readonly description: string;
  /** Precise cause for logs and metrics (low cardinality). */
  readonly reason: AuthFailureReason;
}

/** principal undefined = anonymous; only returned when the caller asked for anonymous access to be allowed. */
export type AuthOutcome = { readonly ok: true; readonly principal?: Principal } | AuthFailure;

export interface AuthInput {
  /** Authorization header. */
  authorization?: string;
  /** DPoP header (the proof JWT). */
  dpop?: string;
  /** Value of the configured API key header (e.g. x-api-key). */
  apiKey?: string;
  /** For DPoP htm. */
  method: string;
  /** For DPoP htu: the public URL of the request, scheme://authority/path (a query is ignored). */
  url: string;
  /** From Envoy only (ext_authz source.principal, ext_proc uri_san_peer_certificate), never from a client header. */
  spiffeId?: string;
  /** The expected audience: this server's public MCP URL (RFC 8707). */
  resource: string;
  /** The server lets unauthenticated callers in: no credentials → ok without a principal instead of 401. */
  allowAnonymous?: boolean;
}
