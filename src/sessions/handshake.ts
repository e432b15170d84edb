// Replays a session's MCP handshake on a pod, as the client did (docs/operations.md, "Session
// recovery"): initialize with the recorded params, then notifications/initialized, over plain HTTP to
// the pod with the identity headers mcpgw would inject. Bounded in time and in what it reads.
import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { HandshakeRequest, HandshakeResult, SessionHandshake } from '../core/index.js';
import { responseMessages } from '../mcp/index.js';

export type { HandshakeRequest, HandshakeResult, SessionHandshake } from '../core/index.js';

/** An initialize answer is small; a pod that streams more is not answering the handshake. */
const MAX_RESPONSE_BYTES = 256 * 1024;

interface PodResponse {
  status: number;
  sessionId?: string;
  contentType: string;
  body: Buffer;
}

function send(r: Omit<HandshakeRequest, 'params' | 'sendInitialized'>, method: 'POST' | 'DELETE', body: string | undefined, sessionId: string | undefined, signal: AbortSignal): Promise<PodResponse> {
  const [, host, port] = /^\[?([^\]]+?)\]?:(\d+)$/.exec(r.pod) ?? [];
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: r.authority, accept: 'application/json, text/event-stream', 'mcp-protocol-version': r.revision };
    for (const h of r.headers) headers[h.name] = h.value;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
    const req = request({ host, port: Number(port), path: r.path, method, headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) return req.destroy(new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`));
        chunks.push(c);
        // An SSE answer may stay open after the result: the first complete message is enough.
        const contentType = String(res.headers['content-type'] ?? '');
        if (contentType.includes('text/event-stream') && responseMessages(Buffer.concat(chunks), contentType).length) res.destroy();
      });
      const done = () =>
        resolve({
          status: res.statusCode ?? 0,
          ...(typeof res.headers['mcp-session-id'] === 'string' ? { sessionId: res.headers['mcp-session-id'] } : {}),
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks),
        });
      res.on('end', done);
      res.on('close', done);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The JSON-RPC answer of an initialize, from a JSON or an SSE body. */
function initializeAnswer(res: PodResponse): { result?: unknown; error?: unknown } | undefined {
  const [answer] = responseMessages(res.body, res.contentType);
  return typeof answer === 'object' && answer !== null ? (answer as { result?: unknown; error?: unknown }) : undefined;
}

export class HttpSessionHandshake implements SessionHandshake {
  async open(r: HandshakeRequest): Promise<HandshakeResult> {
    const signal = AbortSignal.timeout(r.timeoutMs);
    try {
      const body = `{"jsonrpc":"2.0","id":${JSON.stringify(`mcpgw-recovery-${randomUUID()}`)},"method":"initialize","params":${r.params}}`;
      const init = await send(r, 'POST', body, undefined, signal);
      const answer = initializeAnswer(init);
      if (init.status !== 200 || !answer?.result) return { ok: false, reason: 'handshake_error', detail: `initialize answered ${init.status}${answer?.error ? ` ${JSON.stringify(answer.error)}` : ''}` };
      if (!init.sessionId) return { ok: false, reason: 'handshake_error', detail: 'initialize answered without Mcp-Session-Id' };
      if (r.sendInitialized) {
        const note = await send(r, 'POST', '{"jsonrpc":"2.0","method":"notifications/initialized"}', init.sessionId, signal);
        if (note.status < 200 || note.status >= 300) return { ok: false, reason: 'handshake_error', detail: `notifications/initialized answered ${note.status}` };
      }
      return { ok: true, upstreamId: init.sessionId };
    } catch (err) {
      if (signal.aborted) return { ok: false, reason: 'timeout', detail: `no handshake within ${r.timeoutMs} ms` };
      return { ok: false, reason: 'handshake_error', detail: (err as Error).message };
    }
  }

  async close(r: Omit<HandshakeRequest, 'params' | 'sendInitialized'>, upstreamId: string): Promise<void> {
    await send(r, 'DELETE', undefined, upstreamId, AbortSignal.timeout(r.timeoutMs)).catch(() => undefined);
  }
}
