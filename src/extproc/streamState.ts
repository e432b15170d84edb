// Per-stream state of one HTTP request's ext_proc exchange, as an explicit machine: each waiting
// phase names the one message it accepts (as Envoy's processor_state does), each working phase the
// reply it is computing, and `transition` is the only place a phase changes. Every way out leads to
// `closed`, whose entry releases what the request holds; a decision that finishes after the stream
// closed releases its own holds there too (the closed × outcome rows).
import type { BodyReader, EnvoyFacts, LimitHold, ListPlan, PinPlan, Principal, RequestSummary } from '../core/index.js';
import type { PendingAudit } from '../telemetry/index.js';

export const PHASES = [
  /** Stream start: request headers (or, in any waiting request phase, response headers of a local reply). */
  'awaiting_request_headers',
  /** Headers said a body follows: deciding what the headers alone allow. */
  'deciding_request_headers',
  /** Headers allowed; the (BUFFERED) body is next. */
  'awaiting_request_body',
  /** The request's final decision (on the body, or on headers that end the request). */
  'deciding_request',
  'awaiting_response_headers',
  /** Binding the session, choosing how to read the response body. */
  'answering_response_headers',
  /** mcpgw asked to see the response body (mode_override). */
  'awaiting_response_body',
  'answering_response_body',
  /** Terminal: the stream ended or mcpgw ended it; everything held has been released. */
  'closed',
] as const;

export type Phase = (typeof PHASES)[number];

export const EVENTS = [
  // Envoy's messages.
  'request_headers',
  /** Request headers with end_of_stream: no body will come (GET, DELETE, a body-less POST). */
  'request_headers_end',
  'request_body',
  'response_headers',
  'response_body',
  'trailers',
  'unknown_message',
  // Outcomes of the work a phase started.
  /** The reply lets the exchange go on: mcpgw waits for the next message. */
  'continue',
  /** The reply is mcpgw's last word on this request (a refusal, or nothing more to read). */
  'complete',
  /** The work threw: a bug, not a decision. */
  'failed',
  // The stream itself.
  /** Envoy half-closed: it will send nothing more. */
  'half_close',
  /** Cancelled or broken: nothing more can be written either. */
  'cancel',
] as const;

export type StreamEvent = (typeof EVENTS)[number];

export type Action =
  | 'decide_request_headers'
  | 'decide_request_body'
  | 'answer_response_headers'
  | 'read_response_body'
  /** Answer a message mcpgw has no work for (trailers, an unasked-for body chunk) with an empty reply. */
  | 'pass'
  /** Write the reply the finished work produced. */
  | 'reply'
  /** Close with OK: Envoy continues without ext_proc (reference/envoy.md §1.11). */
  | 'end_ok'
  /** Close with a non-OK status: Envoy fails the request closed (status_on_error). */
  | 'end_error'
  /** The single exit: give back every hold the request has (limits, the pending audit line). */
  | 'release';

export interface Transition {
  phase: Phase;
  actions: readonly Action[];
}

const WORKING: ReadonlySet<Phase> = new Set(['deciding_request_headers', 'deciding_request', 'answering_response_headers', 'answering_response_body']);

/** After the work of a phase says `continue`, the phase that waits for the next message. */
const NEXT_AFTER_WORK: Partial<Record<Phase, Phase>> = {
  deciding_request_headers: 'awaiting_request_body',
  deciding_request: 'awaiting_response_headers',
  answering_response_headers: 'awaiting_response_body',
  answering_response_body: 'awaiting_response_body',
};

const to = (phase: Phase, ...actions: Action[]): Transition => ({ phase, actions });
/** Out of order: Envoy and mcpgw disagree about the exchange, so fail closed. */
const SPURIOUS = to('closed', 'end_error', 'release');

/** The one transition function: phase × event → next phase and what to do. Pure. */
export function transition(phase: Phase, event: StreamEvent): Transition {
  if (phase === 'closed') {
    // Work that outlived its stream hands in its holds only now, however it ended: release them at once.
    return event === 'continue' || event === 'complete' || event === 'failed' ? to('closed', 'release') : to('closed');
  }
  switch (event) {
    case 'cancel':
      return to('closed', 'release');
    case 'failed':
      return to('closed', 'end_error', 'release');
    case 'half_close':
      // Messages are handled one at a time, so Envoy's half-close normally finds mcpgw waiting; while
      // a reply is still being computed, an OK close would let the request through undecided.
      return WORKING.has(phase) ? SPURIOUS : to('closed', 'end_ok', 'release');
  }
  if (WORKING.has(phase)) {
    switch (event) {
      case 'continue':
        return to(NEXT_AFTER_WORK[phase] as Phase, 'reply');
      case 'complete':
        return to('closed', 'reply', 'end_ok', 'release');
      default:
        return SPURIOUS;
    }
  }
  switch (event) {
    case 'request_headers':
      return phase === 'awaiting_request_headers' ? to('deciding_request_headers', 'decide_request_headers') : SPURIOUS;
    case 'request_headers_end':
      return phase === 'awaiting_request_headers' ? to('deciding_request', 'decide_request_headers') : SPURIOUS;
    case 'request_body':
      return phase === 'awaiting_request_body' ? to('deciding_request', 'decide_request_body') : SPURIOUS;
    case 'response_headers':
      // A local reply (Envoy's 413, an ext_authz denial, no healthy upstream) can start the response
      // phase before, or instead of, the request message being waited for.
      return phase === 'awaiting_response_body' ? SPURIOUS : to('answering_response_headers', 'answer_response_headers');
    case 'response_body':
      return phase === 'awaiting_response_body' ? to('answering_response_body', 'read_response_body') : to(phase, 'pass');
    case 'trailers':
      // Sent only if the filter config asks for them: passed through untouched.
      return to(phase, 'pass');
    default:
      return SPURIOUS;
  }
}

/** What the request holds until it ends: each is given back exactly once, by the exit. */
export interface Holds {
  /** What limits took: concurrency slots and session reservations. */
  limits?: LimitHold;
  /** The allow's audit line, finished with the response status and pod (or without, at the exit). */
  audit?: PendingAudit;
}

export interface StreamState {
  phase: Phase;
  /** Request headers, kept for the body phase (the body reply decides with them). */
  headers?: (name: string) => string | undefined;
  /** What Envoy said about the caller on the first request message (attributes, ext_authz metadata). */
  envoy?: EnvoyFacts;
  /** The caller the headers phase verified: the body phase reuses it (one credential check per request). */
  principal?: Principal;
  summary?: RequestSummary;
  /** Session pinning work left for the response phase. */
  pin?: PinPlan;
  /** A list result to filter for this caller. */
  list?: ListPlan;
  readBody?: BodyReader;
  holds: Holds;
}

export function newStreamState(): StreamState {
  return { phase: 'awaiting_request_headers', holds: {} };
}
