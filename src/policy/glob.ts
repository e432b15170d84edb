// Glob patterns for tool, prompt and resource names: `*` any run of characters, `?` one character.

export type NameMatcher = (name: string) => boolean;

function escapeRegExp(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** Compiles a list of globs into one matcher: exact names hit a Set, wildcard ones one regular expression. */
export function compileGlobs(patterns: readonly string[]): NameMatcher {
  const exact = new Set<string>();
  const wild: string[] = [];
  for (const p of patterns) {
    if (p.includes('*') || p.includes('?')) wild.push(escapeRegExp(p).replace(/\*/g, '.*').replace(/\?/g, '.'));
    else exact.add(p);
  }
  const re = wild.length ? new RegExp(`^(?:${wild.join('|')})$`, 's') : undefined;
  return (name) => exact.has(name) || (re !== undefined && re.test(name));
}
