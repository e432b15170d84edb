// Who is an admin: the bearer of the admin token (its SHA-256 is all mcpgw keeps, compared in constant
// time), or, on the gRPC port with TLS, a caller whose verified client certificate names one of
// admin.identities. Envoy, calling ext_authz / ext_proc on the same port, is neither.
import { createHash, timingSafeEqual } from 'node:crypto';
import { ControlError } from './errors.js';

export function adminTokenDigest(configured: string | undefined, envToken: string | undefined): Buffer | undefined {
  if (configured) return Buffer.from(configured, 'hex');
  return envToken ? createHash('sha256').update(envToken).digest() : undefined;
}

export interface AdminCredentials {
  /** SHA-256 of the admin token; undefined: no token is accepted. */
  tokenSha256?: Buffer;
  /** SANs (SPIFFE ids) of client certificates that are admins; only seen with gRPC TLS. */
  identities?: readonly string[];
}

const BEARER = /^Bearer ([^\s]+)$/;

/** The bearer token matches the admin digest. */
export function tokenMatches(authorization: string | undefined, digest: Buffer): boolean {
  const m = BEARER.exec(authorization ?? '');
  if (!m?.[1]) return false;
  return timingSafeEqual(createHash('sha256').update(m[1]).digest(), digest);
}

/** The control API answers nobody when neither a token nor an identity is configured. */
export function adminEnabled(c: AdminCredentials): boolean {
  return c.tokenSha256 !== undefined || (c.identities?.length ?? 0) > 0;
}

/**
 * Throws UNAUTHENTICATED without a valid token and without a certificate, PERMISSION_DENIED for a
 * verified certificate that is not an admin's (Envoy's, say) and no valid token.
 */
export function requireAdmin(c: AdminCredentials, authorization: string | undefined, peerNames: readonly string[] = []): void {
  if (!adminEnabled(c)) throw new ControlError('UNIMPLEMENTED', 'the control API is disabled: set admin.tokenSha256 (or MCPGW_ADMIN_TOKEN) or admin.identities');
  if (c.tokenSha256 && tokenMatches(authorization, c.tokenSha256)) return;
  if (c.identities?.some((id) => peerNames.includes(id))) return;
  if (authorization) throw new ControlError('UNAUTHENTICATED', 'the admin bearer token is not valid');
  if (peerNames.length) throw new ControlError('PERMISSION_DENIED', 'this client certificate is not an admin identity (admin.identities)');
  throw new ControlError('UNAUTHENTICATED', 'admin credential required: Authorization: Bearer <admin token>');
}
