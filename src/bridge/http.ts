// Streamable HTTP in front of the sessions (2025-03-26 … 2025-11-25): POST (JSON or SSE reply), GET
// stream, DELETE; 2026-07-28 requests on the same endpoint (modern.ts); optionally the 2024-11-05
// HTTP+SSE endpoints (legacy.ts); plus /healthz, /readyz and /metrics. Everything a client sends is
// bounded here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { KNOWN_REVISIONS, MODERN_REVISION, revisionOf } from '../mcp/index.js';
import { BridgeError, errorMessage } from './jsonrpc.js';
import { LEGACY_MESSAGES_PATH, LEGACY_SSE_PATH, legacySseHandler } from './legacy.js';
import type { BridgeMetrics } from './metrics.js';
import { PROTOCOL_HEADER, isModernRequest, modernHandler } from './modern.js';
import { JsonReply, SseReply, type Reply } from './reply.js';
import { admit, admitsMore, clientMessages, fail, readJson, type TransportOptions } from './respond.js';
import { SseStream } from './sse.js';
import type { ClientSession as Session } from './session.js';
import type { SessionTable } from './table.js';

const SESSION_HEADER = 'mcp-session-id';

export function bridgeHandler(table: SessionTable, metrics: BridgeMetrics, opts: TransportOptions, logger: Logger) {
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
  const admission = admit(table, metrics, opts, logger);
  const modern = modernHandler(table, opts, logger);
  const legacy = opts.legacySse ? legacySseHandler(table, admission, opts, logger) : undefined;

  async function post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req, res, opts.maxBodyBytes);
    if (!body) return;
    if (isModernRequest(req.headers[PROTOCOL_HEADER] as string | undefined, body.value)) return modern.post(req, res, body.value);
    const parsed = clientMessages(body.value, res);
    if (!parsed) return;
    const { messages, batch, requests, keys } = parsed;

    let session: Session | undefined;
    const initialize = requests.some((r) => r.method === 'initialize');
    if (initialize && req.headers[SESSION_HEADER] === undefined) {
      session = admission(res);
      if (!session) return;
    } else {
      session = sessionOf(req, res);
      if (!session || !admitsMore(session, requests, res, opts)) return;
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
    if (legacy && req.method === 'GET' && url.pathname === LEGACY_SSE_PATH) return done(legacy.get(req, res));
    if (legacy && req.method === 'POST' && url.pathname === LEGACY_MESSAGES_PATH) return done(legacy.post(req, res, url));
    if (url.pathname !== opts.path) return plain(404, 'not found\n');
    const revision = req.headers[PROTOCOL_HEADER];
    // The stdio server never sees HTTP headers: the bridge is the one to refuse a revision it does not serve.
    if (typeof revision === 'string' && !revisionOf(revision).known) {
      return fail(res, 400, BridgeError.unsupportedVersion, `Bad Request: unsupported MCP-Protocol-Version ${JSON.stringify(revision.slice(0, 64))}`, {}, null, { supported: KNOWN_REVISIONS, requested: revision.slice(0, 64) });
    }
    // 2026-07-28 has no GET stream and no session to DELETE (mcp.md §4.1).
    if (req.method !== 'POST' && revision === MODERN_REVISION) return fail(res, 405, BridgeError.methodNotAllowed, 'Method not allowed.', { allow: 'POST' });
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
