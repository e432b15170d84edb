// The core's view of one HTTP request, independent of which Envoy hook delivered it.
import type { Principal } from './identityPort.js';

export interface HttpRequestView {
  /** HTTP method (`:method`). */
  method: string;
  /** `:path`, including the query string. */
  path: string;
  /** `:authority` (HTTP/1 Host). */
  authority: string;
  /** Lower-case header lookup; repeated headers joined with ','. */
  header(name: string): string | undefined;
  /**
   * The complete request body; `null` when the request has none; `undefined` when this hook cannot see
   * it (ext_authz without `with_request_body`, a partial body, or ext_proc's headers phase).
   */
  body: Uint8Array | string | null | undefined;
  /** Envoy sent only the start of the body (ext_authz `x-envoy-auth-partial-body: true`): `body` stays undefined. */
  bodyPartial?: boolean;
  /** Facts Envoy reports itself (never client headers): the mTLS peer identity, ext_authz's verdict. */
  envoy?: EnvoyFacts;
  /**
   * The caller an earlier message of this same request already verified (ext_proc's headers phase):
   * trusted as is, since a credential such as a DPoP proof may be checked only once.
   */
  verified?: Principal;
}

export interface EnvoyFacts {
  /** Caller's SPIFFE id (ext_authz source.principal, ext_proc connection.uri_san_peer_certificate). */
  spiffeId?: string;
  /** The principal ext_authz verified for this request, forwarded by Envoy as dynamic metadata (JSON). */
  verifiedPrincipal?: string;
}

/** Builds a view over a plain lower-case header record (ext_authz) or any lookup function. */
export function requestView(
  headers: Record<string, string> | ((name: string) => string | undefined),
  body: HttpRequestView['body'],
): HttpRequestView {
  const header = typeof headers === 'function' ? headers : (name: string) => headers[name];
  return {
    method: header(':method') ?? 'GET',
    path: header(':path') ?? '/',
    authority: header(':authority') ?? header('host') ?? '',
    header,
    body,
  };
}
