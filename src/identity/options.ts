// Authenticator options as plain objects (the config module maps YAML onto them), and their
// validation: unsafe settings fail at construction, never on a request.

export type DpopMode = 'off' | 'optional' | 'required';

export interface IssuerOptions {
  /** Exact `iss` value. */
  issuer: string;
  /** Exactly one of jwksUri / jwksFile. */
  jwksUri?: string;
  jwksFile?: string;
  /** Accepted in addition to the request's resource URL (RFC 8707), which is always accepted. */
  audiences?: readonly string[];
  /** Asymmetric JWS algorithms only; 'none' and HS* are rejected here. */
  algorithms: readonly string[];
  clockSkewSeconds?: number;
  /** Default: 'scope' (space-separated string) or else 'scp' (array or string). */
  scopeClaim?: string;
  /** Dotted claim paths, e.g. 'realm_access.roles'. */
  rolesClaim?: string;
  groupsClaim?: string;
  tenantClaim?: string;
  dpop?: DpopMode;
}

export interface ApiKeyOptions {
  name: string;
  /** Hex SHA-256 of the key: plain keys never appear in config. */
  sha256: string;
  /** Principal subject; defaults to name. Several keys (rotation) may share one principal. */
  principal?: string;
  tenant?: string;
  scopes?: readonly string[];
}

export interface AuthenticatorOptions {
  issuers: readonly IssuerOptions[];
  apiKeys?: readonly ApiKeyOptions[];
  apiKeyHeader?: string;
  maxTokenBytes?: number;
  /** Refetch a JWKS on an unknown kid at most this often. */
  jwksCooldownSeconds?: number;
  /** Refresh a JWKS this long after the last successful load. */
  jwksCacheSeconds?: number;
  /** Bound of the verified-token cache. */
  tokenCacheEntries?: number;
}

/** Asymmetric JWS algorithms jose verifies. Symmetric ones would let anyone holding the public key sign. */
export const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
]);

export interface ResolvedIssuer {
  readonly issuer: string;
  readonly jwks: { readonly uri: string } | { readonly file: string };
  readonly audiences: readonly string[];
  readonly algorithms: readonly string[];
  readonly clockSkewSeconds: number;
  readonly scopeClaim?: string;
  readonly rolesClaim?: string;
  readonly groupsClaim?: string;
  readonly tenantClaim?: string;
  readonly dpop: DpopMode;
}

export interface ResolvedOptions {
  readonly issuers: readonly ResolvedIssuer[];
  readonly apiKeys: readonly ApiKeyOptions[];
  readonly apiKeyHeader: string;
  readonly maxTokenBytes: number;
  readonly jwksCooldownMs: number;
  readonly jwksCacheMs: number;
  readonly tokenCacheEntries: number;
}

export function resolveOptions(opts: AuthenticatorOptions): ResolvedOptions {
  const seen = new Set<string>();
  const issuers = opts.issuers.map((o, i) => {
    const at = `issuers[${i}]`;
    if (!o.issuer) throw new Error(`${at}.issuer: required`);
    if (seen.has(o.issuer)) throw new Error(`${at}.issuer: ${o.issuer} is listed twice`);
    seen.add(o.issuer);
    return resolveIssuer(o, at);
  });
  return {
    issuers,
    apiKeys: opts.apiKeys ?? [],
    apiKeyHeader: (opts.apiKeyHeader ?? 'x-api-key').toLowerCase(),
    maxTokenBytes: positive(opts.maxTokenBytes ?? 8192, 'maxTokenBytes'),
    jwksCooldownMs: nonNegative(opts.jwksCooldownSeconds ?? 30, 'jwksCooldownSeconds') * 1000,
    jwksCacheMs: positive(opts.jwksCacheSeconds ?? 600, 'jwksCacheSeconds') * 1000,
    tokenCacheEntries: positive(opts.tokenCacheEntries ?? 10_000, 'tokenCacheEntries'),
  };
}

function resolveIssuer(o: IssuerOptions, at: string): ResolvedIssuer {
  if ((o.jwksUri === undefined) === (o.jwksFile === undefined)) {
    throw new Error(`${at}: set exactly one of jwksUri and jwksFile`);
  }
  if (o.jwksUri !== undefined && !/^https?:\/\//i.test(o.jwksUri)) throw new Error(`${at}.jwksUri: must be an http(s) URL`);
  if (o.algorithms.length === 0) throw new Error(`${at}.algorithms: list at least one algorithm`);
  for (const alg of o.algorithms) {
    if (alg.toLowerCase() === 'none') throw new Error(`${at}.algorithms: 'none' accepts unsigned tokens`);
    if (/^HS/i.test(alg)) throw new Error(`${at}.algorithms: ${alg} is symmetric: the verification key would be a shared secret`);
    if (!ASYMMETRIC_ALGORITHMS.has(alg)) throw new Error(`${at}.algorithms: unknown algorithm ${alg}`);
  }
  return {
    issuer: o.issuer,
    jwks: o.jwksUri !== undefined ? { uri: o.jwksUri } : { file: o.jwksFile as string },
    audiences: o.audiences ?? [],
    algorithms: [...o.algorithms],
    clockSkewSeconds: nonNegative(o.clockSkewSeconds ?? 60, `${at}.clockSkewSeconds`),
    scopeClaim: o.scopeClaim,
    rolesClaim: o.rolesClaim,
    groupsClaim: o.groupsClaim,
    tenantClaim: o.tenantClaim,
    dpop: o.dpop ?? 'off',
  };
}

function positive(n: number, at: string): number {
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${at}: must be a positive number`);
  return n;
}

function nonNegative(n: number, at: string): number {
  if (!Number.isFinite(n) || n < 0) throw new Error(`${at}: must be zero or more`);
  return n;
}
