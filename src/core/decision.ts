// Decisions are values: what to tell Envoy, independent of ext_authz or ext_proc wire shapes.
import { jsonRpcErrorBody, type McpRefusal } from '../mcp/index.js';
import type { ListRequestId, McpMessage } from '../mcp/index.js';
import type { HeaderToSet } from './header.js';
import type { Principal } from './identityPort.js';

export type { HeaderToSet } from './header.js';
import type { AnomalyFlag, LimitLease } from './limitPort.js';
import type { PinPlan } from './pinning.js';


/** What the request turned out to be, for metrics, logs and dynamic metadata. */
export interface RequestSummary {
  server?: string;
  /** The JSON-RPC method; several distinct methods of a batch are joined with ','. */
  method?: string;
  /** Tool / prompt name, resource URI or task id of a single named request. */
  name?: string;
  revision?: string;
  /** Verified principal id, when the server authenticates. */
  principal?: string;
}

export interface Allow {
  kind: 'allow';
  setHeaders: HeaderToSet[];
  removeHeaders: string[];
  summary: RequestSummary;
  /** What the response phase must do for session pinning (only a hook that sees the response gets one). */
  pin?: PinPlan;
  /** A list result to filter for this caller in the response phase (likewise). */
  list?: ListPlan;
  /** The verified caller, handed from ext_authz to ext_proc through Envoy's dynamic metadata. */
  principal?: Principal;
  /** What the limits took for this request, to give back or report when the response ends. */
  limits?: LimitHold;
}

export interface LimitHold {
  /**
   * What the request holds in the limits, one lease per counted message: bound to the session its
   * response names, and given back when the response ends, by the Limiter (Gateway.bindLimits / releaseLimits).
   */
  leases: LimitLease[];
  /** RateLimit-Policy / RateLimit for the client's response (limiting.headers). */
  responseHeaders: HeaderToSet[];
  anomaly?: AnomalyFlag;
}

/** A list result to filter: what the caller may see is worked out from these when the result is read. */
export interface ListPlan {
  server: string;
  method: string;
  requestId: ListRequestId;
  /** The caller the list is filtered for (absent: anonymous). */
  principal?: Principal;
}

export interface Deny {
  kind: 'deny';
  status: number;
  headers: HeaderToSet[];
  body: string;
  /** Machine-readable reason for logs, metrics and Envoy's response details. */
  reason: string;
  summary: RequestSummary;
}

/** mcpgw answers the request itself (protected resource metadata): not a refusal. */
export interface Respond {
  kind: 'respond';
  status: number;
  headers: HeaderToSet[];
  body: string;
  reason: string;
  summary: RequestSummary;
}

/** The single JSON-RPC message the request carried, for the audit line and trace context (never logged whole). */
export type Subject = Pick<McpMessage, 'id' | 'params'>;

export type Decision = (Allow | Deny | Respond) & { subject?: Subject };

export const JSON_CONTENT_TYPE: HeaderToSet = { name: 'content-type', value: 'application/json' };

/** A refusal with `Retry-After` when the client should simply try again. */
export function refusedWith(r: McpRefusal, summary: RequestSummary, retryAfter?: number): Deny {
  return denyWith(r, summary, retryAfter === undefined ? [] : [{ name: 'retry-after', value: String(retryAfter) }]);
}

export function denyWith(r: McpRefusal, summary: RequestSummary, extraHeaders: readonly HeaderToSet[] = []): Deny {
  return { kind: 'deny', status: r.status, headers: [JSON_CONTENT_TYPE, ...extraHeaders], body: jsonRpcErrorBody(r), reason: r.reason, summary };
}
