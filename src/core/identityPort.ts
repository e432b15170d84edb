// Who is calling, as the core sees it: the Principal a request acts as, what an authenticator is
// given and what it answers, and the Authenticator the core asks (src/identity implements it). Plain
// data, no Envoy or config types, so adapters, tests and the identity module all build the same values.

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

/** What a WWW-Authenticate challenge must say: a failed authentication, or scopes a caller lacks. */
export interface AuthChallenge {
  /** Absolute URL of the server's RFC 9728 protected resource metadata. */
  resourceMetadataUrl: string;
  /** The failure to describe, in the scheme the client used; absent for a scope step-up. */
  failure?: AuthFailure;
  /** RFC 6750 error for a scope step-up (`insufficient_scope`). */
  error?: string;
  description?: string;
  /** Scopes the operation needs (MCP: all of them, so clients can request the union). */
  scope?: readonly string[];
}

/** The authenticator the core asks; it owns its credentials, key sets and caches, and speaks its schemes. */
export interface Authenticator {
  /** Header (lower case) whose value the core passes as AuthInput.apiKey. */
  readonly apiKeyHeader: string;
  /** DPoP proof algorithms accepted, advertised in protected resource metadata. */
  readonly dpopAlgorithms: readonly string[];
  /** Never rejects: every failure is a 400 / 401 value. */
  authenticate(input: AuthInput): Promise<AuthOutcome>;
  /** The WWW-Authenticate value for a 401 / 403. */
  challenge(c: AuthChallenge): string;
}
