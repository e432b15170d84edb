// Which HTTP methods an MCP endpoint takes, and with what body (reference/mcp.md §3): POST carries
// JSON-RPC; GET, HEAD (GET without a response body, RFC 9110 §9.3.2) and DELETE carry none; OPTIONS
// without a body is a CORS preflight and passes unauthenticated (browsers never send credentials on
// one); every other method is refused with 405, so no body reaches a server unread.
import { ErrorCode, refusal, type McpRefusal } from '../mcp/index.js';
import type { HeaderToSet } from './header.js';
import type { HttpRequestView } from './request.js';

export const ALLOWED_METHODS = 'GET, POST, DELETE';

/** What the request's method makes of it once its body rules are met. */
export type MethodKind = 'json_rpc' | 'bodyless' | 'preflight';

const KINDS: Record<string, MethodKind> = { POST: 'json_rpc', GET: 'bodyless', HEAD: 'bodyless', DELETE: 'bodyless', OPTIONS: 'preflight' };

/**
 * Whether the request carries a body: known when this hook sees it, or from `content-length` /
 * `transfer-encoding`; undefined when only a later phase can tell (ext_proc's body message).
 */
export function carriesBody(view: HttpRequestView): boolean | undefined {
  if (view.body === null) return false;
  if (view.body !== undefined) return (typeof view.body === 'string' ? view.body.length : view.body.byteLength) > 0;
  if (view.bodyPartial) return true;
  if (view.header('transfer-encoding') !== undefined) return true;
  const declared = view.header('content-length');
  // An unparsable length is a body of unknown size, never "no body".
  return declared === undefined ? undefined : Number(declared) !== 0;
}

/** The method's kind, or the refusal (405, or 400 for a body where none belongs) with its headers. */
export function checkMethod(view: HttpRequestView): { kind: MethodKind } | { refusal: McpRefusal; headers: HeaderToSet[] } {
  const kind = Object.hasOwn(KINDS, view.method) ? KINDS[view.method] : undefined;
  if (!kind) {
    return {
      refusal: refusal(405, ErrorCode.methodNotAllowed, `Method not allowed: an MCP endpoint takes ${ALLOWED_METHODS}`, 'method_not_allowed'),
      headers: [{ name: 'allow', value: ALLOWED_METHODS }],
    };
  }
  if (kind !== 'json_rpc' && carriesBody(view) === true) {
    return { refusal: refusal(400, ErrorCode.badRequest, `Bad Request: a ${view.method} request must not carry a body`, 'body_not_allowed'), headers: [] };
  }
  return { kind };
}
