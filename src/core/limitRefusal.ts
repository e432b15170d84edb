// The answer a client gets when a limit refuses: HTTP 429 with a JSON-RPC error naming the limit,
// or 503 when a fail-closed limit could not be checked. Codes follow src/mcp/errors.ts: gateway
// refusals are -31000 minus the HTTP status, outside the range the MCP specification reserves.
import { ErrorCode, refusal, type JsonRpcId, type McpRefusal } from '../mcp/index.js';
import type { LimitVerdict } from './limitPort.js';

/** -31000 minus 429, beside errors.ts's other gateway refusal codes. */
export const RATE_LIMITED_CODE = -31429;

/** Logs and metrics reason per refusal kind. */
const REASONS = { exceeded: 'rate_limited', anomaly: 'rate_limited_anomaly', store_unavailable: 'limits_store_unavailable' } as const;

export function limitRefusal(refused: NonNullable<LimitVerdict['refused']>, id: JsonRpcId = null): McpRefusal {
  const { limit, retryAfterSeconds } = refused;
  const data = { limit, retryAfterSeconds };
  if (refused.reason === 'store_unavailable') {
    const message = `Rate limit "${limit}" cannot be checked right now; retry after ${retryAfterSeconds} s`;
    return refusal(503, ErrorCode.unavailable, message, REASONS.store_unavailable, id, data);
  }
  return refusal(429, RATE_LIMITED_CODE, `Rate limit "${limit}" exceeded; retry after ${retryAfterSeconds} s`, REASONS[refused.reason], id, data);
}
