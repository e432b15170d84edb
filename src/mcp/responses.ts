// Reading what mcpgw needs from upstream responses: the legacy SSE `endpoint` event, JSON-RPC
// responses in JSON or SSE framing, and "session not found" answers.
import { createParser } from 'eventsource-parser';

/** Session id carried in a 2024-11-05 `endpoint` event's URI: TS SDK `sessionId`, Python SDK `session_id`. */
export function sessionIdFromEndpoint(uri: string): string | undefined {
  const q = uri.indexOf('?');
  if (q === -1) return undefined;
  const params = new URLSearchParams(uri.slice(q + 1));
  return params.get('sessionId') ?? params.get('session_id') ?? undefined;
}

/** The legacy session id of a POST (`/messages?sessionId=…`), read from the request path. */
export function legacySessionIdOfPath(path: string): string | undefined {
  return sessionIdFromEndpoint(path);
}

/**
 * Feeds SSE text and reports the first `endpoint` event's session id. Bounded: a stream that has not
 * sent one within `maxBytes` never will (the SDKs send it first).
 */
export class EndpointEventReader {
  private found: string | undefined;
  private seen = 0;
  private readonly parser = createParser({
    onEvent: (e) => {
      if (this.found === undefined && e.event === 'endpoint') this.found = sessionIdFromEndpoint(e.data.trim());
    },
  });
  private readonly decoder = new TextDecoder();

  constructor(private readonly maxBytes = 65536) {}

  /** Returns the session id once the endpoint event has been seen; `null` once it cannot be. */
  push(chunk: Uint8Array): string | undefined | null {
    if (this.found !== undefined) return this.found;
    this.seen += chunk.byteLength;
    this.parser.feed(this.decoder.decode(chunk, { stream: true }));
    if (this.found !== undefined) return this.found;
    return this.seen > this.maxBytes ? null : undefined;
  }
}

/** Every JSON-RPC message in a response body, JSON or SSE framed. */
export function responseMessages(body: Uint8Array, contentType: string | undefined): unknown[] {
  const text = new TextDecoder().decode(body);
  if (contentType?.includes('text/event-stream')) {
    const out: unknown[] = [];
    const parser = createParser({ onEvent: (e) => void tryParse(e.data, out) });
    parser.feed(text);
    parser.feed('\n\n');
    return out;
  }
  const out: unknown[] = [];
  tryParse(text, out);
  return out.flatMap((m) => (Array.isArray(m) ? m : [m]));
}

function tryParse(text: string, out: unknown[]): void {
  try {
    out.push(JSON.parse(text));
  } catch {
    // not JSON: nothing to read
  }
}

/** The task id of a task-creating result (`result.task.taskId`), if the body carries one. */
export function createdTaskId(body: Uint8Array, contentType: string | undefined): string | undefined {
  for (const m of responseMessages(body, contentType)) {
    const id = (m as { result?: { task?: { taskId?: unknown } } } | null)?.result?.task?.taskId;
    if (typeof id === 'string') return id;
  }
  return undefined;
}

/**
 * SDK servers answer a session they do not know with 400 ("Bad Request: No valid session ID
 * provided") or 404 `-32001`; both mean the session is gone (reference/mcp.md §9.2).
 */
export function saysSessionNotFound(body: Uint8Array, contentType: string | undefined): boolean {
  const text = new TextDecoder().decode(body);
  if (!contentType?.includes('json') && !/session/i.test(text)) return false;
  for (const m of responseMessages(body, contentType ?? 'application/json')) {
    const err = (m as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (err && (err.code === -32001 || (typeof err.message === 'string' && /session/i.test(err.message)))) return true;
  }
  return /session/i.test(text) && /(no valid|not found|unknown|invalid)/i.test(text);
}
