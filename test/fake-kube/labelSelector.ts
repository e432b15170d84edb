// Kubernetes label selectors, the equality- and existence-based forms ("a=b", "a==b", "a!=b", "a", "!a"), comma-joined.

export type Labels = Readonly<Record<string, string>> | undefined;

export function parseLabelSelector(selector: string | null): (labels: Labels) => boolean {
  const terms = (selector ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map(parseTerm);
  return (labels) => terms.every((t) => t(labels ?? {}));
}

function parseTerm(term: string): (labels: Readonly<Record<string, string>>) => boolean {
  let m = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(term);
  if (m) {
    const [, key, value] = m as unknown as [string, string, string];
    return (l) => l[key] !== value;
  }
  m = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(term);
  if (m) {
    const [, key, value] = m as unknown as [string, string, string];
    return (l) => l[key] === value;
  }
  m = /^!\s*([^!=\s]+)$/.exec(term);
  if (m) {
    const key = m[1]!;
    return (l) => !(key in l);
  }
  if (/^[^!=\s]+$/.test(term)) return (l) => term in l;
  throw new Error(`unsupported label selector term: ${term}`);
}
