// What every MCP endpoint of the bridge (Streamable HTTP, 2026-07-28, legacy HTTP+SSE) does the same
// way: error replies, a bounded JSON body, and the JSON-RPC checks on what a client POSTs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { JsonRpcId } from '../mcp/index.js';
import { BridgeError, classify, errorMessage, idKey, type Relayed } from './jsonrpc.js';
import type { BridgeMetrics } from './metrics.js';
import type { ClientSession } from './session.js';
import type { SessionTable } from './table.js';

export interface TransportOptions {
  path: string;
  maxBodyBytes: number;
  /** A child that has not read this much of what it was sent gets no more until it catches up. */
  maxStdinBacklog: number;
  retryAfterSeconds: number;
  /** Also serve 2024-11-05 HTTP+SSE (GET /sse, POST /messages?sessionId=…). */
  legacySse: boolean;
}

export function fail(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}, id: JsonRpcId = null, data?: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { ...headers, 'content-type': 'application/json' });
  res.end(errorMessage(id, code, message, data));
}

function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) return resolve('too_large');
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBodyBytes) {
        req.removeAllListeners('data');
        req.resume();
        resolve('too_large');
      } else parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts, size)));
    req.on('error', reject);
  });
}

/** The POST's JSON body, or undefined once the client got its 415 / 413 / 400. */
export async function readJson(req: IncomingMessage, res: ServerResponse, maxBodyBytes: number): Promise<{ value: unknown } | undefined> {
  const type = req.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('application/json')) return void fail(res, 415, BridgeError.badRequest, 'Unsupported Media Type: Content-Type must be application/json');
  const body = await readBody(req, maxBodyBytes);
  if (body === 'too_large') return void fail(res, 413, BridgeError.badRequest, `Request body over ${maxBodyBytes} bytes`, { connection: 'close' });
  try {
    return { value: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    return void fail(res, 400, BridgeError.parseError, 'Parse error: the body is not JSON');
  }
}

export interface ClientMessages {
  messages: unknown[];
  batch: boolean;
  requests: Array<Extract<Relayed, { kind: 'request' }>>;
  /** idKey of each request, in the order sent. */
  keys: string[];
}

/** A body of JSON-RPC 2.0 messages (one or a batch) with no request id twice, or a 400 sent. */
export function clientMessages(parsed: unknown, res: ServerResponse): ClientMessages | undefined {
  const batch = Array.isArray(parsed);
  const messages: unknown[] = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
  const kinds = messages.map(classify);
  if (messages.length === 0 || kinds.some((k) => k === undefined)) return void fail(res, 400, BridgeError.invalidRequest, 'Invalid Request: not a JSON-RPC 2.0 message');
  const requests = kinds.flatMap((k) => (k?.kind === 'request' ? [k] : []));
  const keys = requests.map((r) => idKey(r.id));
  if (new Set(keys).size !== keys.length) return void fail(res, 400, BridgeError.invalidRequest, 'Invalid Request: a request id appears twice in one batch');
  return { messages, batch, requests, keys };
}

export const retryLater = (opts: TransportOptions): Record<string, string> => ({ 'retry-after': String(opts.retryAfterSeconds) });

/** A 503 + Retry-After: the pod cannot take this now (cap, draining, a child not reading). */
export function unavailable(res: ServerResponse, why: string, opts: TransportOptions): void {
  fail(res, 503, BridgeError.unavailable, `Service Unavailable: ${why}; retry later`, retryLater(opts));
}

const refusalText = { at_capacity: 'this bridge is at its cap of live sessions', draining: 'this bridge is shutting down' } as const;

/** Opens a new session, or answers 503 + Retry-After (cap reached, shutting down) and counts why. */
export function admit(table: SessionTable, metrics: BridgeMetrics, opts: TransportOptions, logger: Logger) {
  return (res: ServerResponse): ClientSession | undefined => {
    const admitted = table.open();
    if (admitted.ok) return admitted.session;
    metrics.refused.inc({ reason: admitted.reason });
    logger.warn({ reason: admitted.reason, live: table.size }, 'new session refused');
    return void unavailable(res, refusalText[admitted.reason], opts);
  };
}

/** Whether a live session may take these requests now (id not in use, in-flight and stdin bounds). */
export function admitsMore(session: ClientSession, requests: ClientMessages['requests'], res: ServerResponse, opts: TransportOptions): boolean {
  if (requests.some((r) => session.isPending(r.id))) {
    fail(res, 400, BridgeError.invalidRequest, 'Invalid Request: a request with this id is still in progress');
  } else if (session.wouldExceedInFlight(requests.length)) {
    fail(res, 429, BridgeError.unavailable, 'Too Many Requests: this session has too many requests in flight; retry later', retryLater(opts));
  } else if (session.stdinBacklog > opts.maxStdinBacklog) {
    unavailable(res, 'the stdio server is not reading its input', opts);
  } else return true;
  return false;
}
