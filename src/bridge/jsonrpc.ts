// The little of JSON-RPC the relay must understand: which messages are requests (to await a response
// for), responses (to route back) and notifications; and the errors the bridge itself answers with.
import { ErrorCode, jsonRpcErrorBody, type JsonRpcId } from '../mcp/index.js';

export type Relayed =
  | { kind: 'request'; id: string | number; method: string; progressToken?: string | number }
  | { kind: 'notification'; method: string; cancels?: string | number; progressToken?: string | number }
  | { kind: 'response'; id: JsonRpcId };

/** The bridge's own errors, outside the reserved range like mcpgw's: -31000 minus the HTTP-ish status. */
export const BridgeError = {
  childExited: -31502,
  timeout: -31504,
  cancelled: -32800,
  unavailable: ErrorCode.unavailable,
  sessionNotFound: ErrorCode.sessionNotFound,
  badRequest: ErrorCode.badRequest,
  parseError: ErrorCode.parseError,
  invalidRequest: ErrorCode.invalidRequest,
  methodNotFound: ErrorCode.methodNotFound,
  methodNotAllowed: ErrorCode.methodNotAllowed,
  /** 2026-07-28: MCP-Protocol-Version / Mcp-Method / Mcp-Name disagree with the body. */
  headerMismatch: ErrorCode.headerMismatch,
  /** 2026-07-28 UnsupportedProtocolVersionError, `data: {supported, requested}`. */
  unsupportedVersion: -32022,
} as const;

export function errorMessage(id: JsonRpcId, code: number, message: string, data?: unknown): string {
  return jsonRpcErrorBody(data === undefined ? { id, code, message } : { id, code, message, data });
}

const isId = (v: unknown): v is string | number => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/** Map key of a JSON-RPC id: 1 and "1" are different ids. */
export const idKey = (id: string | number): string => (typeof id === 'number' ? `n:${id}` : `s:${id}`);

export function classify(m: unknown): Relayed | undefined {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return undefined;
  const o = m as Record<string, unknown>;
  if (o.jsonrpc !== '2.0') return undefined;
  const params = typeof o.params === 'object' && o.params !== null ? (o.params as Record<string, unknown>) : undefined;
  if (typeof o.method === 'string') {
    if ('id' in o) {
      if (!isId(o.id)) return undefined;
      const meta = params?._meta as Record<string, unknown> | undefined;
      const token = meta?.progressToken;
      return isId(token) ? { kind: 'request', id: o.id, method: o.method, progressToken: token } : { kind: 'request', id: o.id, method: o.method };
    }
    const out: Relayed = { kind: 'notification', method: o.method };
    if (o.method === 'notifications/cancelled' && isId(params?.requestId)) out.cancels = params.requestId;
    if (o.method === 'notifications/progress' && isId(params?.progressToken)) out.progressToken = params.progressToken;
    return out;
  }
  if ('result' in o || 'error' in o) return { kind: 'response', id: isId(o.id) ? o.id : null };
  return undefined;
}
