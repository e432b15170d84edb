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
  // `s`: `*` spans newlines too; `u`: `?` is one code point, so one emoji in a URI counts once.
  const re = wild.length ? new RegExp(`^(?:${wild.join('|')})$`, 'su') : undefined;
  return (name) => exact.has(name) || (re !== undefined && re.test(name));
}
