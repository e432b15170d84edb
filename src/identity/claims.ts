// Reading scopes, roles, groups and tenant out of verified claims. IdPs nest them differently
// (Keycloak `realm_access.roles`, Auth0 `https://example.com/roles`), so paths are dotted but a
// key that itself contains dots is matched whole first.
import type { JWTPayload } from 'jose';

export function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  for (let dot = path.indexOf('.'); dot > 0; dot = path.indexOf('.', dot + 1)) {
    const head = path.slice(0, dot);
    const next = Object.hasOwn(claims, head) ? claims[head] : undefined;
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
      const found = claimAt(next as Record<string, unknown>, path.slice(dot + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** A claim as a list of strings: an array's strings, or a space-separated string. Anything else is empty. */
export function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((s) => s.length > 0);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v.length > 0);
  return [];
}

/** OAuth `scope` (RFC 8693 §4.2, space-separated) or, as Entra and Okta issue it, `scp`. */
export function scopesOf(claims: JWTPayload, scopeClaim: string | undefined): string[] {
  if (scopeClaim !== undefined) return stringList(claimAt(claims, scopeClaim));
  return stringList(claims.scope !== undefined ? claims.scope : claims.scp);
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
