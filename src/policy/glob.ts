// Glob patterns for tool, prompt and resource names, methods and identities: `*` any run of
// characters (newlines included), `?` one code point (one emoji counts once), everything else literal.
//
// Names are client-chosen, so matching never backtracks: a pattern is split at its `*`s into
// segments; the first segment must match at the start, the last at the end, and each one between
// at its leftmost place after the previous one (leftmost is always safe, since a `*` follows it).
// Each segment tries at most every position of the name once, so one match costs at most
// name length × pattern length comparisons, whatever the pattern.
//
// Patterns without `?` (and without lone surrogates) run on the name's UTF-16 units with the
// engine's own startsWith / endsWith / indexOf: no segment can then start or end inside a
// surrogate pair, so units and code points give the same answer. Other patterns run on code points.

export type NameMatcher = (name: string) => boolean;

/** `?` in a segment; code points are never negative. */
const ANY = -1;

/** A pattern split at its `*`s. */
interface Split<S> {
  readonly head: S;
  /** Segments between `*`s, in order, empty ones left out. */
  readonly middle: readonly S[];
  /** The segment after the last `*`; undefined when the pattern has no `*`. */
  readonly tail: S | undefined;
}

/** Segments as strings (matched on UTF-16 units) or as code points with ANY for `?`. */
export type CompiledGlob = { readonly units: Split<string> } | { readonly points: Split<Int32Array> };

/** Counts comparisons (an upper bound of the work done), so tests can check that cost stays linear. */
export interface StepMeter {
  steps: number;
}

/** How one name representation finds segments: the algorithm (matchSplit) is the same for both. */
interface Text<S> {
  readonly length: number;
  size(seg: S): number;
  /** Whether seg matches at pos. */
  at(seg: S, pos: number): boolean;
  /** Leftmost pos in [from, end - size] where seg matches, or -1. */
  find(seg: S, from: number, end: number): number;
}

export function isWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

const LONE_SURROGATE = /\p{Surrogate}/u;

function split<S>(pattern: string, convert: (segment: string) => S, size: (s: S) => number): Split<S> {
  const segments = pattern.split('*').map(convert);
  if (segments.length === 1) return { head: segments[0]!, middle: [], tail: undefined };
  return { head: segments[0]!, middle: segments.slice(1, -1).filter((s) => size(s) > 0), tail: segments[segments.length - 1]! };
}

export function compileGlob(pattern: string): CompiledGlob {
  if (!pattern.includes('?') && !LONE_SURROGATE.test(pattern)) return { units: split(pattern, (s) => s, (s) => s.length) };
  return { points: split(pattern, (s) => codePoints(s).map((c) => (c === 0x3f /* ? */ ? ANY : c)), (s) => s.length) };
}

/** Code points of a string; lone surrogates count as one each, as in a `u` regular expression. */
function codePoints(s: string): Int32Array {
  const out = new Int32Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i)!;
    out[n++] = c;
    if (c > 0xffff) i++;
  }
  return out.subarray(0, n);
}

function unitText(name: string, meter: StepMeter | undefined): Text<string> {
  return {
    length: name.length,
    size: (seg) => seg.length,
    at(seg, pos) {
      if (meter) meter.steps += seg.length;
      return name.startsWith(seg, pos);
    },
    find(seg, from, end) {
      const pos = name.indexOf(seg, from);
      const found = pos !== -1 && pos + seg.length <= end ? pos : -1;
      // Charged as a naive search would cost: every position tried, each compared in full.
      if (meter) meter.steps += Math.max(0, (found === -1 ? end - seg.length : found) - from + 1) * seg.length;
      return found;
    },
  };
}

function pointText(name: Int32Array, meter: StepMeter | undefined): Text<Int32Array> {
  const at = (seg: Int32Array, pos: number): boolean => {
    if (meter) meter.steps += seg.length;
    for (let j = 0; j < seg.length; j++) {
      const p = seg[j]!;
      if (p !== ANY && p !== name[pos + j]) return false;
    }
    return true;
  };
  return {
    length: name.length,
    size: (seg) => seg.length,
    at,
    find(seg, from, end) {
      for (let pos = from; pos + seg.length <= end; pos++) if (at(seg, pos)) return pos;
      return -1;
    },
  };
}

function matchSplit<S>(g: Split<S>, text: Text<S>): boolean {
  const n = text.length;
  const headSize = text.size(g.head);
  if (g.tail === undefined) return headSize === n && text.at(g.head, 0);
  const end = n - text.size(g.tail);
  if (headSize > end || !text.at(g.head, 0) || !text.at(g.tail, end)) return false;
  let pos = headSize;
  for (const seg of g.middle) {
    const found = text.find(seg, pos, end);
    if (found === -1) return false;
    pos = found + text.size(seg);
  }
  return true;
}

/** Whether the glob matches the name. */
export function globMatches(g: CompiledGlob, name: string, meter?: StepMeter): boolean {
  return 'units' in g ? matchSplit(g.units, unitText(name, meter)) : matchSplit(g.points, pointText(codePoints(name), meter));
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
  return (name) => exact.has(name) || wild.some((g) => globMatches(g, name));
}
