// The response phase, decided by the core: what the request phase planned (session pinning, a list
// to filter, limit leases) meets the response's status and headers. The answer is data: headers to
// add and what of the body the core must read (a BodyNeed), or a replacement answer. Only a hook that
// sees responses (HookCapabilities.seesResponse) asks.
import type { Visibility } from '../mcp/index.js';
import { refusedWith, type Deny, type HeaderToSet, type LimitHold, type ListPlan, type RequestSummary } from './decision.js';
import type { LimitLease } from './limitPort.js';
import type { PinPlan, ResponseStep, ResponseView, SessionPinning } from './pinning.js';
import { PASS, PASS_THROUGH, listFraming, listReader, type BodyNeed, type BodyReader } from './responseBody.js';

/** What the request phase left for the response phase (the request's final Allow). */
export interface ResponsePlan {
  summary: RequestSummary;
  pin?: PinPlan;
  list?: ListPlan;
  limits?: LimitHold;
}

export interface UpstreamResponse extends ResponseView {
  /** A body follows the headers. */
  hasBody: boolean;
}

export type ResponseDecision = { kind: 'pass'; setHeaders: HeaderToSet[]; body?: BodyNeed } | { kind: 'replace'; answer: Deny };

export interface ResponsePhaseDeps {
  pinning?: SessionPinning;
  /** The session a response named takes over the request's session-cap reservations (the Limiter). */
  bindLimits(leases: readonly LimitLease[], sessionId: string): Promise<void>;
  /** What a list plan's caller may see. */
  visibility(plan: ListPlan): Visibility;
}

export class ResponsePhase {
  constructor(private readonly deps: ResponsePhaseDeps) {}

  async decide(plan: ResponsePlan, res: UpstreamResponse): Promise<ResponseDecision> {
    const sessionId = res.header('mcp-session-id');
    if (sessionId && plan.limits) await this.deps.bindLimits(plan.limits.leases, sessionId);
    const pinning = this.deps.pinning;
    const step = plan.pin && pinning ? await pinning.onResponseHeaders(plan.pin, res) : undefined;
    if (step?.kind === 'replace') return { kind: 'replace', answer: answerOf(step, plan.summary) };
    // Limit headers, and the client's own session id over a recovered session's upstream one.
    const setHeaders = [...(plan.limits?.responseHeaders ?? []), ...(step?.setHeaders ?? [])];
    const body = res.hasBody ? bodyNeed(plan, res, step) : undefined;
    return body ? { kind: 'pass', setHeaders, body } : { kind: 'pass', setHeaders };
  }

  /** The reader for a body `decide` asked to see; one per response. */
  reader(plan: ResponsePlan, need: BodyNeed, res: ResponseView): BodyReader {
    const pinning = this.deps.pinning;
    if (need.purpose === 'pinning' && plan.pin && pinning) {
      const read = pinning.bodyReader(plan.pin, res);
      return async (chunk, endOfStream) => {
        const step = await read(chunk, endOfStream);
        return step.kind === 'replace' ? { kind: 'replace', answer: answerOf(step, plan.summary) } : PASS;
      };
    }
    const framing = listFraming(res.header('content-type'));
    if (need.purpose === 'list' && plan.list && framing) return listReader(plan.list, this.deps.visibility(plan.list), framing);
    return PASS_THROUGH;
  }
}

/**
 * What of the body the core must see. Pinning first (a session's evidence); then a list result, read
 * only as much as its framing needs (JSON whole, SSE per chunk); then, when the request holds limit
 * leases, the body's end, however long an SSE stream lasts.
 */
function bodyNeed(plan: ResponsePlan, res: UpstreamResponse, step: ResponseStep | undefined): BodyNeed | undefined {
  if (step?.kind === 'continue' && step.readBody) return { read: step.readBody, purpose: 'pinning', rewrites: false };
  const framing = plan.list && res.status === 200 ? listFraming(res.header('content-type')) : undefined;
  if (framing) return { read: framing === 'json' ? 'whole' : 'chunks', purpose: 'list', rewrites: true };
  if (plan.limits?.leases.length) return { read: 'chunks', purpose: 'end', rewrites: false };
  return undefined;
}

function answerOf(step: Extract<ResponseStep, { kind: 'replace' }>, summary: RequestSummary): Deny {
  return refusedWith(step.refusal, summary, step.retryAfter);
}
