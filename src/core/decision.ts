// Decisions are values: what to tell Envoy, independent of ext_authz or ext_proc wire shapes.
import { jsonRpcErrorBody, type McpRefusal } from '../mcp/index.js';
import type { PinPlan } from './pinning.js';

export interface HeaderToSet {
  name: string;
  value: string;
}

/** What the request turned out to be, for metrics, logs and dynamic metadata. */
export interface RequestSummary {
  server?: string;
  /** The JSON-RPC method; several distinct methods of a batch are joined with ','. */
  method?: string;
  /** Tool / prompt name, resource URI or task id of a single named request. */
  name?: string;
  revision?: string;
}

export interface Allow {
  kind: 'allow';
  setHeaders: HeaderToSet[];
  removeHeaders: string[];
  summary: RequestSummary;
  /** What the response phase must do for session pinning (ext_proc only). */
  pin?: PinPlan;
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

export type Decision = Allow | Deny;

export const JSON_CONTENT_TYPE: HeaderToSet = { name: 'content-type', value: 'application/json' };

export function denyWith(r: McpRefusal, summary: RequestSummary, extraHeaders: readonly HeaderToSet[] = []): Deny {
  return { kind: 'deny', status: r.status, headers: [JSON_CONTENT_TYPE, ...extraHeaders], body: jsonRpcErrorBody(r), reason: r.reason, summary };
}
