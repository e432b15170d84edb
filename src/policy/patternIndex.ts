// Finds the rules whose patterns match a name. Exact patterns live in a Map, so a lookup costs the
// same with 10 or 10,000 exact rules; wildcard patterns are each matched in time linear in
// name × pattern length (glob.ts).
import { compileGlob, globMatches, isWildcard, type CompiledGlob } from './glob.js';

export interface IndexedRule {
  /** Position in the configured rule list: lookups return rules in this order. */
  readonly order: number;
}

export type PatternLookup<R extends IndexedRule> = (name: string) => readonly R[];

const NONE: readonly never[] = Object.freeze([]);

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
  const wild: { glob: CompiledGlob; rules: R[] }[] = [...wildByPattern].map(([p, rules]) => ({ glob: compileGlob(p), rules }));

  return (name) => {
    const direct = exact.get(name) ?? NONE;
    if (wild.length === 0) return direct;
    let found: Set<R> | undefined;
    for (const w of wild) if (globMatches(w.glob, name)) for (const r of w.rules) (found ??= new Set<R>(direct)).add(r);
    return found ? [...found].sort((a, b) => a.order - b.order) : direct;
  };
}

/** Merges two lookups' answers, keeping rule order; the common case (one side empty) allocates nothing. */
export function mergeRules<R extends IndexedRule>(a: readonly R[], b: readonly R[]): readonly R[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return [...new Set([...a, ...b])].sort((x, y) => x.order - y.order);
}
