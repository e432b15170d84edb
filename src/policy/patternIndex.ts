// Finds the rules whose patterns match a name. Exact patterns live in a Map, so a lookup costs the
// same with 10 or 10,000 exact rules; wildcard patterns are tested only after one combined RegExp
// says at least one of them matches, so names that only exact rules mention skip them entirely.
import { compileGlobs, type NameMatcher } from './glob.js';

export interface IndexedRule {
  /** Position in the configured rule list: lookups return rules in this order. */
  readonly order: number;
}

export type PatternLookup<R extends IndexedRule> = (name: string) => readonly R[];

const NONE: readonly never[] = Object.freeze([]);

function isWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

function pushOnce<R>(list: R[], rule: R): void {
  // Entries arrive in rule order, so a rule listing the same pattern twice is always the last one.
  if (list[list.length - 1] !== rule) list.push(rule);
}

export function indexPatterns<R extends IndexedRule>(entries: Iterable<readonly [pattern: string, rule: R]>): PatternLookup<R> {
  const exact = new Map<string, R[]>();
  const wildByPattern = new Map<string, R[]>();
  for (const [pattern, rule] of entries) {
    const table = isWildcard(pattern) ? wildByPattern : exact;
    let rules = table.get(pattern);
    if (!rules) table.set(pattern, (rules = []));
    pushOnce(rules, rule);
  }
  const wild: { matches: NameMatcher; rules: R[] }[] = [...wildByPattern].map(([p, rules]) => ({ matches: compileGlobs([p]), rules }));
  const anyWildMatches = compileGlobs([...wildByPattern.keys()]);

  return (name) => {
    const direct = exact.get(name) ?? NONE;
    if (wild.length === 0 || !anyWildMatches(name)) return direct;
    const found = new Set<R>(direct);
    for (const w of wild) if (w.matches(name)) for (const r of w.rules) found.add(r);
    return [...found].sort((a, b) => a.order - b.order);
  };
}

/** Merges two lookups' answers, keeping rule order; the common case (one side empty) allocates nothing. */
export function mergeRules<R extends IndexedRule>(a: readonly R[], b: readonly R[]): readonly R[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return [...new Set([...a, ...b])].sort((x, y) => x.order - y.order);
}
