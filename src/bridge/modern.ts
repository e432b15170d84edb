// 2026-07-28 (stateless Streamable HTTP, mcp.md §4) in front of a session-era stdio server. The
// client sends no initialize and has no session: the bridge initializes a pooled child itself
// (table.modern()), answers `server/discover` from that child's initialize result, and relays every
// other request on a view that lives as long as its HTTP request (ids and progress tokens rewritten,
// so concurrent requests never collide). The per-request `_meta` envelope is checked against the
// headers and taken off before the child sees the request; results get `resultType` and serverInfo.
// Closing the response stream cancels the call.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { KNOWN_REVISIONS, MODERN_REVISION, checkMirroredHeaders, classifyMessage, isRefusal, readMirroredHeaders, refusal, revisionOf, type McpMessage, type McpRefusal } from '../mcp/index.js';
import { BridgeError, errorMessage, idKey } from './jsonrpc.js';
import { JsonReply, SseReply, type Reply } from './reply.js';
import { fail, retryLater, unavailable, type TransportOptions } from './respond.js';
import type { Message } from './shared.js';
import type { SessionTable } from './table.js';

export const PROTOCOL_HEADER = 'mcp-protocol-version';
const META = 'io.modelcontextprotocol/';
const VERSION_KEY = `${META}protocolVersion`;
const SERVER_INFO_KEY = `${META}serverInfo`;
/** The per-request envelope (§4.2): meaningful to the bridge, unknown to a session-era server. */
const ENVELOPE_KEYS = ['protocolVersion', 'clientInfo', 'clientCapabilities', 'logLevel'].map((k) => META + k);
/** What 2026-07-28 removed (the handshake and per-session state), and what the bridge does not serve. */
const NOT_SERVED = new Set(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe', 'subscriptions/listen']);

/**
 * Cacheable results (SEP-2549) must say how long and for whom; the bridge knows neither about its
 * child's lists, so: not cacheable, and never shared across authorization contexts.
 */
const NO_CACHE = { ttlMs: 0, cacheScope: 'private' };
const CACHEABLE = new Set(['server/discover', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read']);

const isObject = (v: unknown): v is Message => typeof v === 'object' && v !== null && !Array.isArray(v);
const metaOf = (body: unknown): Message | undefined => {
  const params = isObject(body) ? body.params : undefined;
  return isObject(params) && isObject(params._meta) ? params._meta : undefined;
};

/** In 2026-07-28 "method not found" travels with HTTP 404 (mcp.md §4.5); everything else with 200. */
function methodNotFoundIs404(body: string): number {
  const parsed = JSON.parse(body) as { error?: { code?: unknown } };
  return parsed.error?.code === BridgeError.methodNotFound ? 404 : 200;
}

/** A 2026-07-28 request: the revision header says so, or the body carries the per-request envelope. */
export function isModernRequest(header: string | undefined, body: unknown): boolean {
  return header?.trim() === MODERN_REVISION || metaOf(body)?.[VERSION_KEY] !== undefined;
}

/** The request as the child should see it: the envelope keys taken out of `_meta`. */
function withoutEnvelope(body: Message): Message {
  const meta = metaOf(body);
  if (!meta) return body;
  const rest = Object.fromEntries(Object.entries(meta).filter(([k]) => !ENVELOPE_KEYS.includes(k)));
  const { _meta: _drop, ...params } = body.params as Message;
  return { ...body, params: Object.keys(rest).length > 0 ? { ...params, _meta: rest } : params };
}

/** The message, or the refusal a 2026-07-28 POST gets before anything reaches a child. */
function check(req: IncomingMessage, body: unknown): McpMessage | McpRefusal {
  if (Array.isArray(body)) return refusal(400, BridgeError.invalidRequest, 'Invalid Request: 2026-07-28 has no batches', 'batch');
  const m = classifyMessage(body);
  if (isRefusal(m)) return m;
  const id = m.id ?? null;
  if (m.kind === 'response') return refusal(400, BridgeError.invalidRequest, 'Invalid Request: 2026-07-28 clients do not send responses', 'response', id);
  const header = (req.headers[PROTOCOL_HEADER] as string | undefined)?.trim();
  const version = metaOf(body)?.[VERSION_KEY];
  const requested = typeof version === 'string' ? version : header;
  if (requested !== MODERN_REVISION) {
    return refusal(400, BridgeError.unsupportedVersion, 'Unsupported protocol version', 'version', id, { supported: KNOWN_REVISIONS, requested: requested ?? null });
  }
  if (m.kind === 'request' && header !== version) {
    const mismatch = { header: 'MCP-Protocol-Version', headerValue: header ?? null, bodyValue: version ?? null };
    return refusal(400, BridgeError.headerMismatch, 'Header mismatch: MCP-Protocol-Version does not match the request body', 'header_mismatch', id, { mismatch });
  }
  const get = (name: string) => req.headers[name] as string | undefined;
  return checkMirroredHeaders(readMirroredHeaders(get), m, revisionOf(MODERN_REVISION)) ?? m;
}

export function modernHandler(table: SessionTable, opts: TransportOptions, logger: Logger) {
  async function post(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const m = check(req, body);
    if (isRefusal(m)) return fail(res, m.status, m.code, m.message, {}, m.id, m.data);
    const id = m.id ?? null;
    if (m.method !== undefined && NOT_SERVED.has(m.method)) return fail(res, 404, BridgeError.methodNotFound, `Method not found: ${m.method}`, {}, id);
    const pool = table.modern();
    if (!pool.ok) return unavailable(res, 'this bridge is shutting down', opts);
    const child = pool.child;
    if (child.core.stdinBacklog > opts.maxStdinBacklog) return unavailable(res, 'the stdio server is not reading its input', opts);
    const init = await child.initialize();
    const json = (status: number, text: string): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(text);
    if (!isObject(init.result)) {
      const err = isObject(init.error) ? init.error : { code: BridgeError.childExited, message: 'the stdio MCP server did not initialize' };
      logger.warn({ error: err }, 'the child for 2026-07-28 requests did not initialize');
      return json(502, errorMessage(id, Number(err.code), `The stdio MCP server could not be initialized: ${String(err.message)}`));
    }
    const serverInfo = init.result.serverInfo;
    if (m.method === 'server/discover') {
      const { capabilities = {}, instructions } = init.result;
      const result = { supportedVersions: [MODERN_REVISION], capabilities, ...(instructions !== undefined ? { instructions } : {}), resultType: 'complete', ...NO_CACHE, _meta: { [SERVER_INFO_KEY]: serverInfo } };
      return json(200, JSON.stringify({ jsonrpc: '2.0', id, result }));
    }
    if (m.kind === 'request' && child.core.wouldExceedInFlight(1)) {
      return fail(res, 429, BridgeError.unavailable, 'Too Many Requests: the stdio server has too many requests in flight; retry later', retryLater(opts), id);
    }
    // The client may have gone while the child was initialized: nothing to relay for it.
    if (req.socket.destroyed) return;
    const view = child.open(randomUUID(), {
      ephemeral: true,
      decorate: (answer) => {
        if (!isObject(answer.result)) return;
        const cache = CACHEABLE.has(m.method ?? '') ? NO_CACHE : {};
        answer.result = { resultType: 'complete', ...cache, ...answer.result, _meta: { ...(isObject(answer.result._meta) ? answer.result._meta : {}), [SERVER_INFO_KEY]: serverInfo } };
      },
    });
    const forwarded = withoutEnvelope(body as Message);
    if (m.kind === 'notification') {
      view.fromClient([forwarded], undefined);
      void view.end('deleted', 'notification relayed');
      return void res.writeHead(202).end();
    }
    const key = idKey(id as string | number);
    let reply: Reply;
    if ((req.headers.accept ?? '').includes('text/event-stream')) reply = new SseReply(res, {}, [key], () => undefined);
    else reply = new JsonReply(res, {}, [key], false, () => errorMessage(id, BridgeError.cancelled, 'Request cancelled'), methodNotFoundIs404);
    // Closing the response stream is how a 2026-07-28 client cancels (mcp.md §4.2).
    res.once('close', () => {
      if (view.busy) view.fromClient([{ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'the client closed the response stream' } }], undefined);
      void view.end('deleted', 'request finished');
    });
    view.fromClient([forwarded], reply);
  }

  return { post };
}
