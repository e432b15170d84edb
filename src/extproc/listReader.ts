// Filters a list result in the response body: JSON arrives whole (BUFFERED), SSE chunk by chunk
// (STREAMED) through a rewriter that only touches the event carrying the result.
import type { ListPlan } from '../core/index.js';
import { SseListRewriter, filterJsonBody } from '../mcp/index.js';
import type { BodyReader } from './streamState.js';

export type ListFraming = 'json' | 'sse';

export function listFraming(contentType: string | undefined): ListFraming | undefined {
  if (!contentType) return undefined;
  if (contentType.includes('text/event-stream')) return 'sse';
  if (contentType.includes('json')) return 'json';
  return undefined;
}

export function listReader(plan: ListPlan, framing: ListFraming): BodyReader {
  if (framing === 'json') {
    const parts: Uint8Array[] = [];
    return async (chunk, endOfStream) => {
      parts.push(chunk);
      if (!endOfStream) return { kind: 'continue' };
      const filtered = filterJsonBody(Buffer.concat(parts), plan.method, plan.requestId, plan.visible);
      return filtered ? { kind: 'mutate', body: filtered } : { kind: 'continue' };
    };
  }
  const rewriter = new SseListRewriter(plan.method, plan.requestId, plan.visible);
  return async (chunk, endOfStream) => {
    const out = rewriter.push(chunk);
    const body = endOfStream ? Buffer.concat([out, rewriter.end()]) : out;
    return { kind: 'mutate', body };
  };
}
