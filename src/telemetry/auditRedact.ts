// Redaction of tool arguments by JSON paths, for `audit.arguments: redact`.
// Supported: `$`, `.name`, `['name']`, `[0]`, `.*` / `[*]` (every member or element), `..name` (that key
// at any depth). Enough for "these fields hold secrets"; filters and slices are deliberately absent.

export const REDACTED = '[REDACTED]';

type Segment = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'any' } | { kind: 'deep'; key: string };

export type CompiledPath = readonly Segment[];

const NAME = /^[^.[\]\s'"*]+/;

/** Parses one path; throws with the position of the first problem (config validation reports it). */
export function compileJsonPath(path: string): CompiledPath {
  if (!path.startsWith('$')) throw new Error(`JSON path "${path}" must start with "$"`);
  const segments: Segment[] = [];
  let i = 1;
  const fail = (what: string): never => {
    throw new Error(`JSON path "${path}": ${what} at character ${i}`);
  };
  while (i < path.length) {
    const rest = path.slice(i);
    if (rest.startsWith('..')) {
      const name = NAME.exec(rest.slice(2))?.[0] ?? fail('expected a key name after ".."');
      segments.push({ kind: 'deep', key: name });
      i += 2 + name.length;
    } else if (rest.startsWith('.*')) {
      segments.push({ kind: 'any' });
      i += 2;
    } else if (rest.startsWith('.')) {
      const name = NAME.exec(rest.slice(1))?.[0] ?? fail('expected a key name after "."');
      segments.push({ kind: 'key', key: name });
      i += 1 + name.length;
    } else if (rest.startsWith('[*]')) {
      segments.push({ kind: 'any' });
      i += 3;
    } else {
      const bracket = /^\[(?:(\d+)|'([^']*)'|"([^"]*)")\]/.exec(rest) ?? fail('expected .name, [n], [*] or [\'name\']');
      segments.push(bracket[1] !== undefined ? { kind: 'index', index: Number(bracket[1]) } : { kind: 'key', key: bracket[2] ?? bracket[3] ?? '' });
      i += bracket[0].length;
    }
  }
  return segments;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A copy of `value` with every match of every path replaced by "[REDACTED]"; `value` is not changed. */
export function redactJson(value: unknown, paths: readonly CompiledPath[]): unknown {
  if (paths.some((p) => p.length === 0)) return REDACTED;
  const copy = structuredClone(value);
  for (const p of paths) redactAt(copy, p, 0);
  return copy;
}

function redactAt(node: unknown, path: CompiledPath, i: number): void {
  const seg = path[i]!;
  const last = i === path.length - 1;
  const visit = (container: Record<string, unknown> | unknown[], key: string | number) => {
    if (last) (container as Record<string, unknown>)[key] = REDACTED;
    else redactAt((container as Record<string, unknown>)[key], path, i + 1);
  };
  switch (seg.kind) {
    case 'key':
      if (isRecord(node) && Object.hasOwn(node, seg.key)) visit(node, seg.key);
      return;
    case 'index':
      if (Array.isArray(node) && seg.index < node.length) visit(node, seg.index);
      return;
    case 'any':
      if (Array.isArray(node)) node.forEach((_, k) => visit(node, k));
      else if (isRecord(node)) Object.keys(node).forEach((k) => visit(node, k));
      return;
    case 'deep':
      if (isRecord(node) && Object.hasOwn(node, seg.key)) visit(node, seg.key);
      // Descend into everything else too, including past a match that was not the last segment.
      for (const [k, child] of Array.isArray(node) ? node.entries() : isRecord(node) ? Object.entries(node) : []) {
        if (!(last && k === seg.key && isRecord(node))) redactAt(child, path, i);
      }
      return;
  }
}
