// Glob patterns for tool, prompt and resource names, methods and identities: `*` any run of
// characters (newlines included), `?` one code point (one emoji counts once), everything else literal.
//
// Names are client-chosen, so matching never backtracks: a pattern is split at its `*`s into
// segments; the first segment must match at the start, the last at the end, and each one between
// at its leftmost place after the previous one (leftmost is always safe, since a `*` follows it).
// Each segment tries at most every position of the name once, so one match costs at most
// name length × pattern length comparisons, whatever the pattern.

export type NameMatcher = (name: string) => boolean;

/** `?` in a segment; code points are never negative. */
const ANY = -1;

/** A pattern split at its `*`s: each segment is code points, with ANY for `?`. */
export interface CompiledGlob {
  readonly head: Int32Array;
  /** Segments between `*`s, in order; empty when the pattern has no `*`. */
  readonly middle: readonly Int32Array[];
  /** The segment after the last `*`; undefined when the pattern has no `*`. */
  readonly tail: Int32Array | undefined;
}

export function isWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** Code points of a string; lone surrogates count as one each, as in a `u` regular expression. */
export function codePoints(s: string): Int32Array {
  const out = new Int32Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i)!;
    out[n++] = c;
    if (c > 0xffff) i++;
  }
  return out.subarray(0, n);
}

export function compileGlob(pattern: string): CompiledGlob {
  const segments = pattern.split('*').map((s) => codePoints(s).map((c) => (c === 0x3f /* ? */ ? ANY : c)));
  if (segments.length === 1) return { head: segments[0]!, middle: [], tail: undefined };
  return { head: segments[0]!, middle: segments.slice(1, -1).filter((s) => s.length > 0), tail: segments[segments.length - 1]! };
}

/** Counts comparisons, so tests can check that cost stays linear in name × pattern length. */
export interface StepMeter {
  steps: number;
}

function segmentAt(seg: Int32Array, name: Int32Array, at: number, meter: StepMeter | undefined): boolean {
  if (meter) meter.steps += seg.length;
  for (let j = 0; j < seg.length; j++) {
    const p = seg[j]!;
    if (p !== ANY && p !== name[at + j]) return false;
  }
  return true;
}

/** Whether the glob matches the name (both as code points). */
export function globMatches(g: CompiledGlob, name: Int32Array, meter?: StepMeter): boolean {
  const n = name.length;
  if (g.tail === undefined) return g.head.length === n && segmentAt(g.head, name, 0, meter);
  if (g.head.length + g.tail.length > n) return false;
  if (!segmentAt(g.head, name, 0, meter)) return false;
  const end = n - g.tail.length;
  if (!segmentAt(g.tail, name, end, meter)) return false;
  let at = g.head.length;
  for (const seg of g.middle) {
    while (at + seg.length <= end && !segmentAt(seg, name, at, meter)) at++;
    if (at + seg.length > end) return false;
    at += seg.length;
  }
  return true;
}

/** Compiles a list of globs into one matcher: exact names hit a Set, wildcard ones the matcher above. */
export function compileGlobs(patterns: readonly string[]): NameMatcher {
  const exact = new Set<string>();
  const wild: CompiledGlob[] = [];
  for (const p of patterns) {
    if (isWildcard(p)) wild.push(compileGlob(p));
    else exact.add(p);
  }
  if (wild.length === 0) return (name) => exact.has(name);
  return (name) => {
    if (exact.has(name)) return true;
    const points = codePoints(name);
    return wild.some((g) => globMatches(g, points));
  };
}
