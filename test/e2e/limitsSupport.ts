// Helpers shared by the limits and observability e2e suites: raw MCP requests on a session, and a
// streaming POST a test can read a first chunk of and then abandon (a client disconnecting mid-SSE).
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connectClient, rawPost, type RawResponse } from '../fixtures/index.js';

export const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };

export type SdkClient = Awaited<ReturnType<typeof connectClient>>;

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export const toolCall = (name: string, args: Record<string, unknown>, id: number | string = 1, meta?: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } });

export const initialize = (id: number) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });

/** A tools/call on an SDK client's session, over raw HTTP so the test sees status, headers and body. */
export function callOnSession(url: string, c: SdkClient, name: string, args: Record<string, unknown>, id: number | string, extra: Record<string, string> = {}): Promise<RawResponse> {
  return rawPost(url, toolCall(name, args, id), { ...MCP_HEADERS, 'mcp-session-id': c.transport.sessionId as string, ...extra });
}

/** The JSON-RPC message of a JSON or single-event SSE body (the last `data:` line of an SSE stream). */
export function jsonRpcOf(body: string): { id?: unknown; result?: { content?: Array<{ text?: string }>; isError?: boolean }; error?: { code: number; message: string; data?: Record<string, unknown> } } {
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) return JSON.parse(trimmed) as ReturnType<typeof jsonRpcOf>;
  const data = trimmed.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).filter((l) => l.startsWith('{'));
  const withId = data.map((d) => JSON.parse(d) as ReturnType<typeof jsonRpcOf> & { method?: string }).filter((m) => m.method === undefined);
  const last = withId.at(-1);
  if (!last) throw new Error(`no JSON-RPC response in body: ${body.slice(0, 200)}`);
  return last;
}

export interface OpenStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Resolves with the first body chunk (for SSE: the first event is on its way). */
  firstChunk: Promise<string>;
  /** Resolves with the whole body when the response ends; rejects when aborted. */
  done: Promise<string>;
  /** Drops the connection: a client going away mid-stream. */
  abort(): void;
}

/** POSTs and returns as soon as the response headers arrive; the body keeps streaming. */
export function openStream(url: string, body: string, headers: Record<string, string>): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      let first: (s: string) => void = () => undefined;
      const firstChunk = new Promise<string>((r) => (first = r));
      const done = new Promise<string>((ok, fail) => {
        res.on('data', (c: Buffer) => {
          if (!chunks.length) first(c.toString('utf8'));
          chunks.push(c);
        });
        res.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(new Error('stream closed before its end'));
        });
      });
      done.catch(() => undefined);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, firstChunk, done, abort: () => req.destroy() });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Whether an SDK call failed with this HTTP status (StreamableHTTPError carries it as `code`). */
export const httpStatusIs = (status: number) => (e: unknown) => {
  const err = e as { code?: number; message?: string };
  return err.code === status || new RegExp(`\\b${status}\\b`).test(String(err.message));
};
