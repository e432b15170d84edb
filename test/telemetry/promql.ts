// Just enough PromQL reading to check dashboards and alert rules against the metrics mcpgw serves:
// the metric names an expression selects, the labels its matchers name, and the labels it groups by.
// Not a parser: it relies on PromQL's lexical shape (matchers in {}, ranges in [], grouping in
// by/without/on/ignoring/group_left/group_right (...), functions followed by "(").

export interface PromqlRefs {
  metrics: Set<string>;
  /** Label names in each metric's {…} matchers. */
  matchers: Array<{ metric: string; labels: string[] }>;
  /** Labels named in by / without / on / ignoring / group_left / group_right clauses. */
  grouping: Set<string>;
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'atan2']);
const IDENT = /(?<![\w.$:])([a-zA-Z_:][\w:]*)/g;

export function promqlRefs(expr: string): PromqlRefs {
  const refs: PromqlRefs = { metrics: new Set(), matchers: [], grouping: new Set() };
  let e = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  if (!balanced(e)) throw new Error(`unbalanced brackets in: ${expr}`);
  e = e.replace(/([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}/g, (_, metric: string | undefined, body: string) => {
    const labels = [...body.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!);
    if (metric && !KEYWORDS.has(metric)) {
      refs.metrics.add(metric);
      refs.matchers.push({ metric, labels });
      return ' ';
    }
    return `${metric ?? ''} `;
  });
  e = e.replace(/\[[^\]]*\]/g, ' ');
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _kw: string, list: string) => {
    for (const l of list.split(',').map((s) => s.trim()).filter(Boolean)) refs.grouping.add(l);
    return ' ';
  });
  for (const m of e.matchAll(IDENT)) {
    const name = m[1]!;
    const next = e.slice(m.index! + name.length).trimStart();
    if (KEYWORDS.has(name.toLowerCase()) || next.startsWith('(')) continue;
    refs.metrics.add(name);
  }
  return refs;
}

function balanced(e: string): boolean {
  const open = '([{';
  const close = ')]}';
  const stack: string[] = [];
  for (const ch of e) {
    if (open.includes(ch)) stack.push(ch);
    else if (close.includes(ch) && stack.pop() !== open[close.indexOf(ch)]) return false;
  }
  return stack.length === 0;
}
