// Which credential a request presents, read from the raw header values. Syntax problems are the
// client's (400 invalid_request); a scheme this gateway does not speak counts as no credential
// (RFC 6750 §3.1: no error attribute), so the client learns to authenticate rather than to retry.
import { invalidRequest, invalidToken, isFailure } from './failures.js';
import type { AuthFailure, AuthInput, ChallengeScheme } from './types.js';

export type PresentedCredential =
  | { readonly kind: 'none' }
  | { readonly kind: 'token'; readonly scheme: ChallengeScheme; readonly token: string }
  | { readonly kind: 'apikey'; readonly key: string };

// RFC 6750 §2.1 b64token; JWTs (base64url and dots) fit, a comma (two joined headers) does not.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export function presentedCredential(
  input: AuthInput,
  limits: { maxTokenBytes: number; apiKeysEnabled: boolean },
): PresentedCredential | AuthFailure {
  const token = bearerOrDpopToken(input.authorization, limits.maxTokenBytes);
  if (token !== undefined && isFailure(token)) return token;
  // Without configured keys the header is not a credential here (it may be meant for the upstream).
  const apiKey = limits.apiKeysEnabled && input.apiKey !== undefined && input.apiKey !== '' ? input.apiKey : undefined;
  if (token !== undefined && apiKey !== undefined) return invalidRequest('request uses more than one authentication method');
  if (token !== undefined) return token;
  if (apiKey !== undefined) {
    if (apiKey.length > limits.maxTokenBytes) return invalidToken('token_too_large', 'API key is too large');
    return { kind: 'apikey', key: apiKey };
  }
  return { kind: 'none' };
}

function bearerOrDpopToken(
  header: string | undefined,
  maxTokenBytes: number,
): { kind: 'token'; scheme: ChallengeScheme; token: string } | AuthFailure | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  const space = value.indexOf(' ');
  const schemeName = (space < 0 ? value : value.slice(0, space)).toLowerCase();
  const scheme: ChallengeScheme | undefined = schemeName === 'bearer' ? 'Bearer' : schemeName === 'dpop' ? 'DPoP' : undefined;
  if (scheme === undefined) return undefined;
  const token = space < 0 ? '' : value.slice(space + 1).trimStart();
  // Size first: nothing below should spend time on a huge value.
  if (token.length > maxTokenBytes) return invalidToken('token_too_large', 'token is too large', scheme);
  if (!B64TOKEN.test(token)) return invalidRequest('Authorization header is malformed');
  return { kind: 'token', scheme, token };
}
