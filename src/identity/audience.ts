// RFC 8707 audience matching. Clients send the canonical resource URI (lower-case scheme and host,
// no fragment, normally no trailing slash), but IdPs echo what they were given, so both sides are
// canonicalised before an exact comparison: never a prefix or substring match.

export function canonicalResource(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return uri; // an opaque audience such as "mcpgw" is compared as is
  }
  url.hash = '';
  // WHATWG URL already lower-cases scheme and host and drops default ports.
  const href = url.href;
  return url.search === '' && href.endsWith('/') ? href.slice(0, -1) : href;
}

/** The token's `aud` (string or array) as a list; anything else is empty, which no resource accepts. */
export function audiencesOf(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}

export function audienceAccepted(tokenAudiences: readonly string[], resource: string, configured: readonly string[]): boolean {
  const accepted = new Set([resource, ...configured].map(canonicalResource));
  return tokenAudiences.some((a) => accepted.has(canonicalResource(a)));
}
