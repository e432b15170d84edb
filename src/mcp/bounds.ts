// One linear pass over JSON text before JSON.parse, so hostile nesting or giant strings are refused
// with a clear error instead of costing a deep recursion or a huge allocation.

export interface JsonBounds {
  maxJsonDepth: number;
  maxStringBytes: number;
}

export type BoundsViolation = { kind: 'depth'; limit: number } | { kind: 'string'; limit: number };

export function checkJsonBounds(text: string, bounds: JsonBounds): BoundsViolation | undefined {
  let depth = 0;
  let inString = false;
  let stringStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) {
        inString = false;
        // UTF-16 length approximates bytes from below for non-ASCII; escapes count as written.
        if (i - stringStart > bounds.maxStringBytes) return { kind: 'string', limit: bounds.maxStringBytes };
      }
      continue;
    }
    if (c === 0x22) {
      inString = true;
      stringStart = i + 1;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > bounds.maxJsonDepth) return { kind: 'depth', limit: bounds.maxJsonDepth };
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  if (inString && text.length - stringStart > bounds.maxStringBytes) return { kind: 'string', limit: bounds.maxStringBytes };
  return undefined;
}
