// Streamable HTTP in front of the sessions (2025-03-26 … 2025-11-25): POST (JSON or SSE reply), GET
// stream, DELETE; plus /healthz, /readyz and /metrics. Everything a client sends is bounded here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { BridgeError, classify, errorMessage, idKey } from './jsonrpc.js';
import type { BridgeMetrics } from './metrics.js';
import { JsonReply, SseReply, type Reply } from './reply.js';
import { SseStream } from './sse.js';
import type { ClientSession as Session } from './session.js';
import type { SessionTable } from './table.js';

export interface TransportOptions {
  path: string;
  maxBodyBytes: number;
  /** A child that has not read this much of what it was sent gets no more until it catches up. */
  maxStdinBacklog: number;
  retryAfterSeconds: number;
}

const SESSION_HEADER = 'mcp-session-id';

export function bridgeHandler(table: SessionTable, metrics: BridgeMetrics, opts: TransportOptions, logger: Logger) {
  const fail = (res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void => {
    if (res.headersSent) return void res.end();
    res.writeHead(status, { ...headers, 'content-type': 'application/json' });
    res.end(errorMessage(null, code, message));
  };

  const sessionOf = (req: IncomingMessage, res: ServerResponse): Session | undefined => {
    const id = req.headers[SESSION_HEADER];
    if (typeof id !== 'string' || id === '') {
      fail(res, 400, BridgeError.badRequest, 'Bad Request: Mcp-Session-Id header is required');
      return undefined;
    }
    const s = table.get(id);
    if (!s) fail(res, 404, BridgeError.sessionNotFound, 'Session not found');
    return s;
  };

  const readBody = (req: IncomingMessage): Promise<Buffer | 'too_large'> =>
    new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > opts.maxBodyBytes) return resolve('too_large');
      const parts: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > opts.maxBodyBytes) {
          req.removeAllListeners('data');
          req.resume();
          resolve('too_large');
        } else parts.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(parts, size)));
      req.on('error', reject);
    });

  async function post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = req.headers['content-type'] ?? '';
    if (!type.toLowerCase().startsWith('application/json')) return fail(res, 415, BridgeError.badRequest, 'Unsupported Media Type: Content-Type must be application/json');
    const body = await readBody(req);
    if (body === 'too_large') return fail(res, 413, BridgeError.badRequest, `Request body over ${opts.maxBodyBytes} bytes`, { connection: 'close' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return fail(res, 400, BridgeError.parseError, 'Parse error: the body is not JSON');
    }
    const batch = Array.isArray(parsed);
    const messages: unknown[] = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
    const kinds = messages.map(classify);
    if (messages.length === 0 || kinds.some((k) => k === undefined)) return fail(res, 400, BridgeError.invalidRequest, 'Invalid Request: not a JSON-RPC 2.0 message');
    const requests = kinds.flatMap((k) => (k?.kind === 'request' ? [k] : []));
    const keys = requests.map((r) => idKey(r.id));
    if (new Set(keys).size !== keys.length) return fail(res, 400, BridgeError.invalidRequest, 'Invalid Request: a request id appears twice in one batch');

    let session: Session | undefined;
    const initialize = requests.some((r) => r.method === 'initialize');
    if (initialize && req.headers[SESSION_HEADER] === undefined) {
      const admitted = table.open();
      if (!admitted.ok) {
        metrics.refused.inc({ reason: admitted.reason });
        logger.warn({ reason: admitted.reason, live: table.size }, 'new session refused');
        const why = admitted.reason === 'draining' ? 'this bridge is shutting down' : 'this bridge is at its cap of live sessions';
        return fail(res, 503, BridgeError.unavailable, `Service Unavailable: ${why}; retry later`, { 'retry-after': String(opts.retryAfterSeconds) });
      }
      session = admitted.session;
    } else {
      session = sessionOf(req, res);
      if (!session) return;
      if (requests.some((r) => session?.isPending(r.id))) return fail(res, 400, BridgeError.invalidRequest, 'Invalid Request: a request with this id is still in progress');
      if (session.wouldExceedInFlight(requests.length)) {
        return fail(res, 429, BridgeError.unavailable, 'Too Many Requests: this session has too many requests in flight; retry later', { 'retry-after': String(opts.retryAfterSeconds) });
      }
      if (session.stdinBacklog > opts.maxStdinBacklog) {
        return fail(res, 503, BridgeError.unavailable, 'Service Unavailable: the stdio server is not reading its input; retry later', { 'retry-after': String(opts.retryAfterSeconds) });
      }
    }
    const headers = { [SESSION_HEADER]: session.id };
    if (requests.length === 0) {
      session.fromClient(messages, undefined);
      res.writeHead(202, headers);
      res.end();
      return;
    }
    const accept = req.headers.accept ?? '';
    let reply: Reply;
    if (accept.includes('text/event-stream')) {
      const s = session;
      const sse: SseReply = new SseReply(res, headers, keys, () => s.removePostStream(sse));
      session.addPostStream(sse);
      reply = sse;
    } else {
      reply = new JsonReply(res, headers, keys, batch, (key) => {
        const r = requests[keys.indexOf(key)];
        return errorMessage(r?.id ?? null, BridgeError.cancelled, 'Request cancelled');
      });
    }
    session.fromClient(messages, reply);
  }

  function get(req: IncomingMessage, res: ServerResponse): void {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) return fail(res, 406, BridgeError.badRequest, 'Not Acceptable: GET needs Accept: text/event-stream');
    const session = sessionOf(req, res);
    if (!session) return;
    if (session.hasGetStream()) return fail(res, 409, BridgeError.badRequest, 'Conflict: only one GET stream is allowed per session');
    const stream: SseStream = new SseStream(res, { [SESSION_HEADER]: session.id }, () => session.getStreamClosed(stream));
    session.openGetStream(stream);
  }

  async function del(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const session = sessionOf(req, res);
    if (!session) return;
    await session.end('deleted', 'deleted by the client');
    res.writeHead(200).end();
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://bridge');
    const plain = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/plain', 'cache-control': 'no-store', ...headers });
      res.end(text);
    };
    const routes: Record<string, () => void | Promise<void>> = {
      'GET /healthz': () => plain(200, 'ok\n'),
      'GET /readyz': () => {
        const reasons = table.notReadyReasons();
        return reasons.length ? plain(503, `not ready: ${reasons.join('; ')}\n`) : plain(200, 'ready\n');
      },
      'GET /metrics': () =>
        metrics.registry.metrics().then(
          (text) => plain(200, text, { 'content-type': metrics.registry.contentType }),
          (err: Error) => plain(500, `metrics failed: ${err.message}\n`),
        ),
    };
    const route = routes[`${req.method} ${url.pathname}`];
    const done = (p: void | Promise<void>) =>
      void Promise.resolve(p).catch((err: Error) => {
        logger.error({ err: err.message, method: req.method }, 'request failed');
        fail(res, 500, BridgeError.badRequest, 'Internal error in the bridge');
      });
    if (route) return done(route());
    if (url.pathname !== opts.path) return plain(404, 'not found\n');
    switch (req.method) {
      case 'POST':
        return done(post(req, res));
      case 'GET':
        return done(get(req, res));
      case 'DELETE':
        return done(del(req, res));
      default:
        return plain(405, 'method not allowed\n', { allow: 'GET, POST, DELETE' });
    }
  };
}
