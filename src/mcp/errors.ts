// JSON-RPC error bodies mcpgw sends, with the HTTP status each travels with.
// Codes follow reference/mcp.md §6: standard codes only; the reserved -32020…-32099 range only for the
// codes the spec defines; gateway refusals use codes outside -32768…-32000.

export type JsonRpcId = string | number | null;

export const ErrorCode = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  headerMismatch: -32020,
  /** TS SDK convention for "Session not found" with HTTP 404; clients recognise it. */
  sessionNotFound: -32001,
  /** Gateway refusals, outside the reserved range: -31000 minus the HTTP status. */
  badRequest: -31400,
  unauthorized: -31401,
  forbidden: -31403,
  notFound: -31404,
  methodNotAllowed: -31405,
  tooLarge: -31413,
  /** mcpgw cannot decide safely as deployed (an Envoy setting it needs is missing). */
  misconfigured: -31500,
  unavailable: -31503,
} as const;

/** A refusal the client sees: HTTP status plus a JSON-RPC error. `reason` is for logs and metrics. */
export interface McpRefusal {
  status: number;
  code: number;
  message: string;
  id: JsonRpcId;
  reason: string;
  data?: unknown;
}

export function refusal(status: number, code: number, message: string, reason: string, id: JsonRpcId = null, data?: unknown): McpRefusal {
  return data === undefined ? { status, code, message, id, reason } : { status, code, message, id, reason, data };
}

export function jsonRpcErrorBody(r: Pick<McpRefusal, 'code' | 'message' | 'id' | 'data'>): string {
  const error = r.data === undefined ? { code: r.code, message: r.message } : { code: r.code, message: r.message, data: r.data };
  return JSON.stringify({ jsonrpc: '2.0', error, id: r.id });
}
