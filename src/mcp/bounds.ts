// One linear pass over JSON text before JSON.parse, so hostile nesting or giant strings are refused
// with a clear error instead of costing a deep recursion or a huge allocation; and a cap on the
// names policy and limits match, checked before any matching.
import { ErrorCode, refusal, type McpRefusal } from './errors.js';
import type { McpMessage } from './message.js';

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

/** Longest names accepted, in UTF-8 bytes: resource URIs get their own, larger cap. */
export interface NameCaps {
  /** Tool and prompt names, task ids and methods. */
  names: number;
  resourceUris: number;
}

function longerThan(s: string, maxBytes: number): boolean {
  // UTF-8 takes 1 to 3 bytes per UTF-16 unit, so most strings are decided without counting.
  if (s.length > maxBytes) return true;
  if (s.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(s, 'utf8') > maxBytes;
}

/** A refusal when the message's method or name is over its cap (400, echoing the request id). */
export function checkNameCaps(m: McpMessage, caps: NameCaps): McpRefusal | undefined {
  const id = m.id ?? null;
  if (m.method !== undefined && longerThan(m.method, caps.names)) {
    return refusal(400, ErrorCode.invalidRequest, `Invalid Request: method is longer than ${caps.names} bytes`, 'name_too_long', id);
  }
  if (m.name === undefined) return undefined;
  const max = m.nameKind === 'resource' ? caps.resourceUris : caps.names;
  if (!longerThan(m.name, max)) return undefined;
  const what = m.nameKind === 'resource' ? 'resource URI' : `${m.nameKind ?? 'name'} name`;
  return refusal(400, ErrorCode.invalidParams, `Invalid params: ${what} is longer than ${max} bytes`, 'name_too_long', id);
}
