// ext_proc per-phase work: one function per phase (reference/envoy.md §1.5), each returning the reply,
// whether the exchange goes on, and what the request now holds. Which phase runs when is decided by
// the stream's machine (streamState.ts), driven by stream.ts. Headers SEND, request body BUFFERED,
// response headers SEND, response body NONE unless the core's response decision needs it (session
// pinning, list filtering, limits that end with the body): its BodyNeed becomes a mode_override.
import { requestView, type BodyNeed, type Decision, type Deny, type EnvoyFacts, type Gateway, type HookCapabilities, type HttpRequestView, type ResponsePlan } from '../core/index.js';
import { EXT_AUTHZ_METADATA_FIELDS, EXT_AUTHZ_NAMESPACE, EXT_PROC_ATTRIBUTES_NAMESPACE, VERIFIED_PRINCIPAL_KEY, headerLookup, structString, type BodySendMode, type ProcessingRequest, type ProcessingResponse } from '../envoy/index.js';
import type { DecisionObserver, GatewayMetrics, Logger, PendingAudit } from '../telemetry/index.js';
import { RESPONSE_BODY_CONTINUE, denyReply, requestReply, responseBodyReply, responseHeadersReply } from './replies.js';
import type { Holds, StreamState } from './streamState.js';

export interface ProcessorDeps {
  gateway: Gateway;
  metrics: GatewayMetrics;
  logger: Logger;
  observer: DecisionObserver;
}

/** The result of one phase's work: the reply, whether mcpgw waits for more, what the request took. */
export interface Work {
  reply: ProcessingResponse;
  outcome: 'continue' | 'complete';
  holds?: Holds;
}

/** ext_proc is shown every request's body (BUFFERED) and its response. */
export const PROCESS_HOOK: HookCapabilities = { seesBody: true, seesResponse: true };

/** Caller facts only Envoy can state: the mTLS peer (attribute) and ext_authz's verdict (metadata). */
function envoyFacts(msg: ProcessingRequest): EnvoyFacts {
  const facts: EnvoyFacts = {};
  const spiffeId = structString(msg.attributes?.[EXT_PROC_ATTRIBUTES_NAMESPACE], 'connection.uri_san_peer_certificate');
  if (spiffeId) facts.spiffeId = spiffeId;
  const verified = structString(msg.metadata_context?.filter_metadata?.[EXT_AUTHZ_NAMESPACE], VERIFIED_PRINCIPAL_KEY);
  if (verified) facts.verifiedPrincipal = verified;
  return facts;
}

/** ext_authz allowed this request: its metadata names the server it decided for (Envoy sets it, never a client). */
function checkAllowed(msg: ProcessingRequest): boolean {
  return structString(msg.metadata_context?.filter_metadata?.[EXT_AUTHZ_NAMESPACE], EXT_AUTHZ_METADATA_FIELDS.server) !== undefined;
}

const NO_HEADERS = (): string | undefined => undefined;
const HEADERS_CONTINUE: ProcessingResponse = { response: 'request_headers', request_headers: { response: {} } };

/** A body the core reads whole is BUFFERED (reference/envoy.md §1.10); one it reads in chunks is STREAMED, never buffered. */
const SEND_MODE: Record<BodyNeed['read'], BodySendMode> = { whole: 'BUFFERED', chunks: 'STREAMED' };

export class RequestProcessor {
  constructor(private readonly deps: ProcessorDeps) {}

  async requestHeaders(state: StreamState, msg: ProcessingRequest): Promise<Work> {
    const headers = headerLookup(msg.request_headers?.headers);
    const endOfStream = msg.request_headers?.end_of_stream === true;
    state.envoy = envoyFacts(msg);
    // The Check already decided on these same headers and the body follows: deciding again here would
    // only repeat it. The body phase decides once, with the headers kept and the caller ext_authz verified.
    if (!endOfStream && checkAllowed(msg)) {
      state.headers = headers;
      return { reply: HEADERS_CONTINUE, outcome: 'continue', holds: {} };
    }
    // end_of_stream on the headers means no body will ever come (GET, DELETE, body-less POST), so this
    // reply is the only chance to set the affinity header.
    const view = { ...requestView(headers, endOfStream ? null : undefined), envoy: state.envoy };
    const decided = await this.decide(view, endOfStream, () => this.deps.gateway.decide(view, PROCESS_HOOK));
    if (decided.d.kind === 'allow') {
      state.headers = headers;
      if (decided.d.principal) state.principal = decided.d.principal;
    }
    return this.requestWork(state, decided, 'request_headers');
  }

  async requestBody(state: StreamState, msg: ProcessingRequest): Promise<Work> {
    const body = msg.request_body;
    const headers = state.headers ?? NO_HEADERS;
    // The headers phase already checked the credentials (a DPoP proof may be used once): reuse its caller.
    const view: HttpRequestView = { ...requestView(headers, body?.body ?? Buffer.alloc(0)), envoy: state.envoy ?? {} };
    if (state.principal) view.verified = state.principal;
    const decided = await this.decide(view, true, () =>
      body?.end_of_stream === false ? this.deps.gateway.refusePartialBody(requestView(headers, undefined)) : this.deps.gateway.decide(view, PROCESS_HOOK),
    );
    return this.requestWork(state, decided, 'request_body');
  }

  /**
   * The work owns the request's limit hold until it returns: a cancel meanwhile must not release a
   * session reservation while it is being bound (the release would overtake the bind), so the hold
   * comes back with the result, or with the failure, and is released then if the stream is gone.
   */
  async responseHeaders(state: StreamState, msg: ProcessingRequest): Promise<Work> {
    const { limits, audit } = state.holds;
    state.holds = {};
    try {
      return { ...(await this.answerResponseHeaders(state, msg, limits, audit)), holds: limits ? { limits } : {} };
    } catch (err) {
      if (limits) state.holds.limits = limits;
      throw err;
    }
  }

  private async answerResponseHeaders(state: StreamState, msg: ProcessingRequest, limits: Holds['limits'], audit: Holds['audit']): Promise<Work> {
    const started = process.hrtime.bigint();
    const header = headerLookup(msg.response_headers?.headers);
    const upstreamAddress = structString(msg.attributes?.[EXT_PROC_ATTRIBUTES_NAMESPACE], 'upstream.address');
    const response = { status: Number(header(':status') ?? 0), header, hasBody: msg.response_headers?.end_of_stream !== true, ...(upstreamAddress ? { upstreamAddress } : {}) };
    const sessionId = header('mcp-session-id');
    this.deps.observer.responded(audit, { status: response.status, ...(upstreamAddress ? { pod: upstreamAddress } : {}), ...(sessionId ? { sessionId } : {}) });
    const plan: ResponsePlan = { summary: state.summary ?? {}, ...(state.pin ? { pin: state.pin } : {}), ...(state.list ? { list: state.list } : {}), ...(limits ? { limits } : {}) };
    const d = await this.deps.gateway.decideResponse(plan, response);
    let work: Work;
    if (d.kind === 'replace') {
      work = this.replaced(d.answer);
    } else if (d.body) {
      state.readBody = this.deps.gateway.readResponseBody(plan, d.body, response);
      work = { reply: responseHeadersReply(SEND_MODE[d.body.read], d.body.rewrites, d.setHeaders), outcome: 'continue' };
    } else {
      work = { reply: responseHeadersReply(undefined, false, d.setHeaders), outcome: 'complete' };
    }
    this.deps.metrics.observeLatency('ext_proc_response', Number(process.hrtime.bigint() - started) / 1e9);
    return work;
  }

  async responseBody(state: StreamState, msg: ProcessingRequest): Promise<Work> {
    const body = msg.response_body;
    const step = (await state.readBody?.(body?.body ?? Buffer.alloc(0), body?.end_of_stream === true)) ?? { kind: 'pass' };
    if (step.kind === 'replace') return this.replaced(step.answer);
    return { reply: responseBodyReply(step.kind === 'mutate' ? step.body : undefined), outcome: body?.end_of_stream ? 'complete' : 'continue' };
  }

  /** The empty reply to a message mcpgw has no work for. */
  pass(msg: ProcessingRequest): ProcessingResponse {
    switch (msg.request) {
      case 'request_trailers':
        return { response: 'request_trailers', request_trailers: {} };
      case 'response_trailers':
        return { response: 'response_trailers', response_trailers: {} };
      default:
        return RESPONSE_BODY_CONTINUE;
    }
  }

  /** Gives back what the request held: finishes its audit line (if its response never came) and returns its limit leases. */
  release(holds: Holds): void {
    this.deps.observer.responded(holds.audit, {});
    const leases = holds.limits?.leases;
    if (leases?.length) void this.deps.gateway.releaseLimits(leases);
  }

  private requestWork(state: StreamState, { d, audit }: Decided, kind: 'request_headers' | 'request_body'): Work {
    state.summary = d.summary;
    const holds: Holds = {};
    if (d.kind === 'allow') {
      if (d.pin) state.pin = d.pin;
      if (d.list) state.list = d.list;
      if (d.limits) holds.limits = d.limits;
    }
    if (audit) holds.audit = audit;
    return { reply: requestReply(kind, d), outcome: d.kind === 'allow' ? 'continue' : 'complete', holds };
  }

  private async decide(view: HttpRequestView, final: boolean, decide: () => Decision | Promise<Decision>): Promise<Decided> {
    const started = process.hrtime.bigint();
    const d = await decide();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const jsonRpcId = d.subject?.id ?? undefined;
    const { traceHeaders, pending } = this.deps.observer.decided(
      { hook: 'ext_proc_request', header: view.header, authority: view.authority, final, seconds, ...(d.subject?.params ? { params: d.subject.params } : {}), ...(jsonRpcId !== undefined && jsonRpcId !== null ? { jsonRpcId } : {}) },
      d,
    );
    if (d.kind === 'allow' && traceHeaders.length) d.setHeaders.push(...traceHeaders);
    return pending ? { d, audit: pending } : { d };
  }

  /** The core replaced the response (a lost session's 404): mcpgw's last word. */
  private replaced(d: Deny): Work {
    this.deps.logger.debug({ hook: 'ext_proc_response', reason: d.reason, status: d.status, ...d.summary }, 'response replaced');
    return { reply: denyReply(d), outcome: 'complete' };
  }
}

interface Decided {
  d: Decision;
  audit?: PendingAudit;
}
