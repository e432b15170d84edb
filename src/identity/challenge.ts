// WWW-Authenticate values for 401/403 (RFC 6750 §3, RFC 9728 §5.1, RFC 9449 §7.1).
// RFC 6750 forbids '"' and '\' inside error, error_description and scope, so those values are
// sanitised rather than escaped; the metadata URL is percent-encoded. That also keeps the
// TypeScript SDK's naive `name="([^"]+)"` parser correct, and no CR/LF can split the header.
// Bearer params come in the order the SDK finds them reliably: resource_metadata, scope, error,
// error_description (free text last, so it cannot shadow another param).
import type { AuthFailure } from './types.js';

export interface ChallengeParams {
  /** Absolute URL of this server's RFC 9728 protected resource metadata. */
  resourceMetadataUrl: string;
  error?: string;
  description?: string;
  /** Scopes needed for the operation (MCP: all of them, so clients can request the union). */
  scope?: readonly string[];
}

export function bearerChallenge(p: ChallengeParams): string {
  return `Bearer ${params(p).join(', ')}`;
}

/** RFC 9449 §7.1: the DPoP scheme, with the proof algorithms this gateway accepts. */
export function dpopChallenge(p: ChallengeParams & { algs: readonly string[] }): string {
  const algs = p.algs.filter((a) => TOKEN_CHARS.test(a));
  return `DPoP ${[...params(p), ...(algs.length > 0 ? [`algs="${algs.join(' ')}"`] : [])].join(', ')}`;
}

/** The challenge for an authentication failure, in the scheme the client used. */
export function challengeFor(
  failure: AuthFailure,
  p: { resourceMetadataUrl: string; scope?: readonly string[]; dpopAlgs: readonly string[] },
): string {
  // RFC 6750 §3.1: a request without credentials gets no error information at all.
  const error = failure.error !== undefined ? { error: failure.error, description: failure.description } : {};
  const base = { resourceMetadataUrl: p.resourceMetadataUrl, scope: p.scope, ...error };
  return failure.scheme === 'DPoP' ? dpopChallenge({ ...base, algs: p.dpopAlgs }) : bearerChallenge(base);
}

// RFC 6750: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const TOKEN_CHARS = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function params(p: ChallengeParams): string[] {
  const out = [`resource_metadata="${percentEncodeUnsafe(p.resourceMetadataUrl)}"`];
  // A scope that is not a valid scope-token can never be granted; dropping it beats a broken header.
  const scope = (p.scope ?? []).filter((s) => TOKEN_CHARS.test(s));
  if (scope.length > 0) out.push(`scope="${scope.join(' ')}"`);
  if (p.error !== undefined) out.push(`error="${plainText(p.error)}"`);
  if (p.description !== undefined) out.push(`error_description="${plainText(p.description)}"`);
  return out;
}

// RFC 6750: error / error_description = *( %x20-21 / %x23-5B / %x5D-7E )
function plainText(s: string): string {
  return s.replace(/"/g, "'").replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?');
}

function percentEncodeUnsafe(url: string): string {
  return url.replace(/[^\x21\x23-\x5B\x5D-\x7E]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}
