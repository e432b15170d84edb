// Per-stream state of one HTTP request's ext_proc exchange: each state names the message it accepts
// (as Envoy's processor_state does); anything else is spurious.
import type { PinPlan, RequestSummary, ResponseStep, ResponseView } from '../core/index.js';

export type Phase =
  /** Stream start: request headers (or, in any phase but done, response headers of a local reply). */
  | 'awaiting_request_headers'
  /** Headers said a body follows (BUFFERED). */
  | 'awaiting_request_body'
  | 'awaiting_response_headers'
  /** mcpgw asked to see the response body (mode_override). */
  | 'awaiting_response_body'
  | 'done';

export interface StreamState {
  phase: Phase;
  /** Request headers, kept for the body phase (the body reply decides with them). */
  headers?: Record<string, string>;
  summary?: RequestSummary;
  /** Session pinning work left for the response phase. */
  pin?: PinPlan;
  response?: ResponseView;
  readBody?: (chunk: Uint8Array, endOfStream: boolean) => Promise<ResponseStep>;
}

export function newStreamState(): StreamState {
  return { phase: 'awaiting_request_headers' };
}
