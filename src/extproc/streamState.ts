// Per-stream state of one HTTP request's ext_proc exchange: each state names the message it accepts
// (as Envoy's processor_state does); anything else is spurious.
import type { EnvoyFacts, LimitHold, ListPlan, PinPlan, RequestSummary, ResponseStep } from '../core/index.js';
import type { PendingAudit } from '../telemetry/index.js';

export type Phase =
  /** Stream start: request headers (or, in any phase but done, response headers of a local reply). */
  | 'awaiting_request_headers'
  /** Headers said a body follows (BUFFERED). */
  | 'awaiting_request_body'
  | 'awaiting_response_headers'
  /** mcpgw asked to see the response body (mode_override). */
  | 'awaiting_response_body'
  | 'done';

/** What a response-body reader asks: pass on, replace this chunk, or replace the whole response. */
export type BodyStep = ResponseStep | { kind: 'mutate'; body: Uint8Array };

export type BodyReader = (chunk: Uint8Array, endOfStream: boolean) => Promise<BodyStep>;

export interface StreamState {
  phase: Phase;
  /** Request headers, kept for the body phase (the body reply decides with them). */
  headers?: (name: string) => string | undefined;
  /** What Envoy said about the caller on the first request message (attributes, ext_authz metadata). */
  envoy?: EnvoyFacts;
  summary?: RequestSummary;
  /** Session pinning work left for the response phase. */
  pin?: PinPlan;
  /** A list result to filter for this caller. */
  list?: ListPlan;
  readBody?: BodyReader;
  /** What limits took: released when the response ends, or the stream does, whichever is first. */
  limits?: LimitHold;
  /** The allow's audit line, finished with the response status and pod. */
  audit?: PendingAudit;
}

export function newStreamState(): StreamState {
  return { phase: 'awaiting_request_headers' };
}
