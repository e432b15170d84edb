// 2024-11-05 HTTP+SSE (`--legacy-sse`, mcp.md §2): GET /sse opens a session and its one stream, whose
// first event names the POST endpoint (`/messages?sessionId=…`, relative so clients keep it
// same-origin); POSTs there get 202 and every answer and server message goes out on that stream.
// The revision cannot resume a stream, so closing it ends the session.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { BridgeError } from './jsonrpc.js';
import { StreamReply } from './reply.js';
import { admitsMore, clientMessages, fail, readJson, type TransportOptions } from './respond.js';
import type { ClientSession } from './session.js';
import { SseStream } from './sse.js';
import type { SessionTable } from './table.js';

export const LEGACY_SSE_PATH = '/sse';
export const LEGACY_MESSAGES_PATH = '/messages';

export function legacySseHandler(table: SessionTable, admission: (res: ServerResponse) => ClientSession | undefined, opts: TransportOptions, logger: Logger) {
  /** Each legacy session's stream, where the answers to its POSTs go. */
  const streams = new Map<string, SseStream>();

  function get(_req: IncomingMessage, res: ServerResponse): void {
    const session = admission(res);
    if (!session) return;
    const stream: SseStream = new SseStream(res, {}, () => {
      streams.delete(session.id);
      session.getStreamClosed(stream);
      void session.end('disconnected', 'the SSE stream closed');
    });
    streams.set(session.id, stream);
    stream.send(`${LEGACY_MESSAGES_PATH}?sessionId=${encodeURIComponent(session.id)}`, () => undefined, 'endpoint');
    session.openGetStream(stream);
    logger.debug({ session: session.id }, 'legacy SSE stream opened');
  }

  async function post(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const id = url.searchParams.get('sessionId');
    if (!id) return fail(res, 400, BridgeError.badRequest, 'Bad Request: the sessionId query parameter is required');
    const session = table.get(id);
    const stream = streams.get(id);
    if (!session || !stream?.isOpen) return fail(res, 404, BridgeError.sessionNotFound, 'Session not found');
    const body = await readJson(req, res, opts.maxBodyBytes);
    if (!body) return;
    const parsed = clientMessages(body.value, res);
    if (!parsed || !admitsMore(session, parsed.requests, res, opts)) return;
    session.fromClient(parsed.messages, parsed.requests.length > 0 ? new StreamReply(stream) : undefined);
    res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
  }

  return { get, post };
}
