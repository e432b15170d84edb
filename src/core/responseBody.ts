// Reading a response body mcpgw asked to see, in the core's terms: how much of it must be seen at
// once, and what reading it yields (pass it on, rewrite this part, or replace the response). The
// ext_proc adapter maps a BodyNeed to Envoy's processing mode (whole → BUFFERED, chunks → STREAMED).
import { SseListRewriter, filterJsonBody, type Visibility } from '../mcp/index.js';
import type { Deny, ListPlan } from './decision.js';
import type { BodyRead } from './pinning.js';

export type { BodyRead } from './pinning.js';

/** Why the core reads a response body: it may pin a session, it filters a list, or it only waits for the end. */
export type BodyPurpose = 'pinning' | 'list' | 'end';

/** What the core must see of a response body: data, mapped by the adapter to its own wire mode. */
export interface BodyNeed {
  read: BodyRead;
  purpose: BodyPurpose;
  /** The body will be rewritten: the upstream's content-length no longer holds. */
  rewrites: boolean;
}

/** What reading one part of the body yields. */
export type BodyStep = { kind: 'pass' } | { kind: 'mutate'; body: Uint8Array } | { kind: 'replace'; answer: Deny };

/** Reads one response body, part by part, in order; `endOfStream` marks the last part. */
export type BodyReader = (chunk: Uint8Array, endOfStream: boolean) => Promise<BodyStep>;

export const PASS: BodyStep = { kind: 'pass' };

/** Passes the body through untouched: only its end matters (limits are given back then). */
export const PASS_THROUGH: BodyReader = async () => PASS;

/** How a list result is framed: JSON arrives whole, SSE is rewritten event by event. */
export function listFraming(contentType: string | undefined): 'json' | 'sse' | undefined {
  if (!contentType) return undefined;
  if (contentType.includes('text/event-stream')) return 'sse';
  if (contentType.includes('json')) return 'json';
  return undefined;
}

/** Filters a list result for the caller: JSON whole, SSE through a rewriter that only touches the result's event. */
export function listReader(plan: ListPlan, visible: Visibility, framing: 'json' | 'sse'): BodyReader {
  if (framing === 'json') {
    const parts: Uint8Array[] = [];
    return async (chunk, endOfStream) => {
      parts.push(chunk);
      if (!endOfStream) return PASS;
      const filtered = filterJsonBody(Buffer.concat(parts), plan.method, plan.requestId, visible);
      return filtered ? { kind: 'mutate', body: filtered } : PASS;
    };
  }
  const rewriter = new SseListRewriter(plan.method, plan.requestId, visible);
  return async (chunk, endOfStream) => {
    const out = rewriter.push(chunk);
    const body = endOfStream ? Buffer.concat([out, rewriter.end()]) : out;
    return { kind: 'mutate', body };
  };
}
