// ext_proc per-phase work: one function per phase (reference/envoy.md §1.5), each returning the reply,
// whether the exchange goes on, and what the request now holds. Which phase runs when is decided by
// the stream's machine (streamState.ts), driven by stream.ts. Headers SEND, request body BUFFERED,
// response headers SEND, response body NONE unless mcpgw must read it (session pinning, list
// filtering, limits that end with the body).
import { requestView, type Decision, type EnvoyFacts, type Gateway, type HookCapabilities, type HttpRequestView } from '../core/index.js';
import { EXT_AUTHZ_NAMESPACE, VERIFIED_PRINCIPAL_KEY, headerLookup, structString, type ProcessingRequest, type ProcessingResponse } from '../envoy/index.js';
import type { DecisionObserver, GatewayMetrics, Logger, PendingAudit } from '../telemetry/index.js';
import { listFraming, listReader } from './listReader.js';
import { RESPONSE_BODY_CONTINUE, denyReply, requestReply, responseBodyReply, responseHeadersReply } from './replies.js';
import type { BodyReader, BodyStep, Holds, StreamState } from './streamState.js';

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

const ATTRIBUTES_KEY = 'envoy.filters.http.ext_proc';

/** ext_proc is shown every request's body (BUFFERED) and its response. */
export const PROCESS_HOOK: HookCapabilities = { seesBody: true, seesResponse: true };

/** Caller facts only Envoy can state: the mTLS peer (attribute) and ext_authz's verdict (metadata). */
function envoyFacts(msg: ProcessingRequest): EnvoyFacts {
  const facts: EnvoyFacts = {};
  const spiffeId = structString(msg.attributes?.[ATTRIBUTES_KEY], 'connection.uri_san_peer_certificate');
  if (spiffeId) facts.spiffeId = spiffeId;
  const verified = structString(msg.metadata_context?.filter_metadata?.[EXT_AUTHZ_NAMESPACE], VERIFIED_PRINCIPAL_KEY);
  if (verified) facts.verifiedPrincipal = verified;
  return facts;
}

const NO_HEADERS = (): string | undefined => undefined;

/** Passes the body through untouched; only its end matters (limits released with it). */
const PASS_THROUGH: BodyReader = async () => ({ kind: 'continue' });

export class RequestProcessor {
  constructor(private readonly deps: ProcessorDeps) {}

  async requestHeaders(state: StreamState, msg: ProcessingRequest): Promise<Work> {
    const headers = headerLookup(msg.request_headers?.headers);
    const endOfStream = msg.request_headers?.end_of_stream === true;
    state.envoy = envoyFacts(msg);
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
    const upstreamAddress = structString(msg.attributes?.[ATTRIBUTES_KEY], 'upstream.address');
    const response = { status: Number(header(':status') ?? 0), header, ...(upstreamAddress ? { upstreamAddress } : {}) };
    const hasBody = msg.response_headers?.end_of_stream !== true;
    const sessionId = header('mcp-session-id');
    this.deps.observer.responded(audit, { status: response.status, ...(upstreamAddress ? { pod: upstreamAddress } : {}), ...(sessionId ? { sessionId } : {}) });
    if (sessionId && limits) await this.deps.gateway.bindLimits(limits.leases, sessionId);
    const pinning = this.deps.gateway.pinning;
    const step = state.pin && pinning ? await pinning.onResponseHeaders(state.pin, response) : undefined;
    // Limit headers, and the client's own session id over a recovered session's upstream one.
    const addedHeaders = [...(limits?.responseHeaders ?? []), ...(step?.kind === 'continue' ? (step.setHeaders ?? []) : [])];
    let work: Work;
    if (step?.kind === 'replace') {
      work = this.replaced(state, step);
    } else if (hasBody && step?.readBody && state.pin && pinning) {
      state.readBody = pinning.bodyReader(state.pin, response);
      work = { reply: responseHeadersReply(step.readBody, false, addedHeaders), outcome: 'continue' };
    } else {
      // Only list results are read, and only as much as their framing needs: JSON whole, SSE per chunk.
      const framing = hasBody && state.list && response.status === 200 ? listFraming(header('content-type')) : undefined;
      if (framing && state.list) {
        state.readBody = listReader(state.list, framing);
        work = { reply: responseHeadersReply(framing === 'json' ? 'BUFFERED' : 'STREAMED', true, addedHeaders), outcome: 'continue' };
      } else if (hasBody && limits?.leases.length) {
        // Concurrency slots are held until the body ends, however long an SSE stream lasts.
        state.readBody = PASS_THROUGH;
        work = { reply: responseHeadersReply('STREAMED', false, addedHeaders), outcome: 'continue' };
      } else {
        work = { reply: responseHeadersReply(undefined, false, addedHeaders), outcome: 'complete' };
      }
    }
    this.deps.metrics.observeLatency('ext_proc_response', Number(process.hrtime.bigint() - started) / 1e9);
    return work;
  }

  async responseBody(state: StreamState, msg: ProcessingRequest): Promise<Work> {
    const body = msg.response_body;
    const step: BodyStep = (await state.readBody?.(body?.body ?? Buffer.alloc(0), body?.end_of_stream === true)) ?? { kind: 'continue' };
    if (step.kind === 'replace') return this.replaced(state, step);
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

  /** The pinning or list reader replaced the response (a lost session's 404): mcpgw's last word. */
  private replaced(state: StreamState, step: Extract<BodyStep, { kind: 'replace' }>): Work {
    const d = this.deps.gateway.refuse(step.refusal, state.summary ?? {}, step.retryAfter);
    this.deps.logger.debug({ hook: 'ext_proc_response', reason: d.reason, status: d.status, ...d.summary }, 'response replaced');
    return { reply: denyReply(d), outcome: 'complete' };
  }
}

interface Decided {
  d: Decision;
  audit?: PendingAudit;
}
