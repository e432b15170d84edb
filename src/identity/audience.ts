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

/**
 * Canonical forms already computed: the same audiences come with every request of a cached token,
 * so no `URL` is parsed per request. Bounded: cleared when full (audiences come from verified tokens
 * and config, so a few entries in practice).
 */
const canonicalForms = new Map<string, string>();
const MAX_CANONICAL_FORMS = 1024;

function canonicalOf(uri: string): string {
  let c = canonicalForms.get(uri);
  if (c === undefined) {
    if (canonicalForms.size >= MAX_CANONICAL_FORMS) canonicalForms.clear();
    canonicalForms.set(uri, (c = canonicalResource(uri)));
  }
  return c;
}

export function audienceAccepted(tokenAudiences: readonly string[], resource: string, configured: readonly string[]): boolean {
  const target = canonicalOf(resource);
  for (const a of tokenAudiences) {
    const c = canonicalOf(a);
    if (c === target || configured.some((x) => canonicalOf(x) === c)) return true;
  }
  return false;
}
