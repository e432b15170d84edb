// ext_proc adapter: one bidirectional stream per HTTP request, one function per phase
// (reference/envoy.md §1.5). Headers SEND, request body BUFFERED, response headers SEND, response body
// NONE unless mcpgw must read it (session pinning, list filtering, limits that end with the body).
import * as grpc from '@grpc/grpc-js';
import { VERIFIED_PRINCIPAL_KEY } from '../authz/index.js';
import { requestView, type Decision, type EnvoyFacts, type Gateway, type HttpRequestView } from '../core/index.js';
import { headerLookup, structString, type ProcessingRequest, type ProcessingResponse } from '../envoy/index.js';
import type { DecisionObserver, GatewayMetrics, Logger } from '../telemetry/index.js';
import { listFraming, listReader } from './listReader.js';
import { RESPONSE_BODY_CONTINUE, denyReply, requestReply, responseBodyReply, responseHeadersReply } from './replies.js';
import { newStreamState, type BodyReader, type BodyStep, type StreamState } from './streamState.js';

export interface ProcessorDeps {
  gateway: Gateway;
  metrics: GatewayMetrics;
  logger: Logger;
  observer: DecisionObserver;
}

const ATTRIBUTES_KEY = 'envoy.filters.http.ext_proc';
const EXT_AUTHZ_NAMESPACE = 'envoy.filters.http.ext_authz';

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

  /** Returns the one reply to `msg`, or an error string for a spurious message. */
  handle(state: StreamState, msg: ProcessingRequest): Promise<ProcessingResponse> | ProcessingResponse | string {
    switch (msg.request) {
      case 'request_headers':
        return state.phase === 'awaiting_request_headers' ? this.onRequestHeaders(state, msg) : `request_headers in ${state.phase}`;
      case 'request_body':
        return state.phase === 'awaiting_request_body' ? this.onRequestBody(state, msg) : `request_body in ${state.phase}`;
      // A local reply (Envoy's 413, an ext_authz denial, no healthy upstream) can start the response
      // phase before, or instead of, the request phase we were waiting for.
      case 'response_headers':
        return state.phase !== 'done' && state.phase !== 'awaiting_response_body' ? this.onResponseHeaders(state, msg) : `response_headers in ${state.phase}`;
      case 'response_body':
        return state.phase === 'awaiting_response_body' ? this.onResponseBody(state, msg) : RESPONSE_BODY_CONTINUE;
      // Trailers arrive only if the filter config asks for them: pass them through untouched.
      case 'request_trailers':
        return { response: 'request_trailers', request_trailers: {} };
      case 'response_trailers':
        return { response: 'response_trailers', response_trailers: {} };
      default:
        return `unknown message ${String(msg.request)}`;
    }
  }

  /** The stream ended (normally, cancelled or broken): whatever the request still holds is given back. */
  finish(state: StreamState): void {
    this.deps.observer.responded(state.audit, {});
    state.audit = undefined;
    this.releaseLimits(state);
  }

  private async decide(state: StreamState, view: HttpRequestView, final: boolean, decide: () => Decision | Promise<Decision>): Promise<Decision> {
    const started = process.hrtime.bigint();
    const d = await decide();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const jsonRpcId = d.subject?.id ?? undefined;
    const { traceHeaders, pending } = this.deps.observer.decided(
      { hook: 'ext_proc_request', header: view.header, authority: view.authority, final, seconds, ...(d.subject?.params ? { params: d.subject.params } : {}), ...(jsonRpcId !== undefined && jsonRpcId !== null ? { jsonRpcId } : {}) },
      d,
    );
    if (d.kind === 'allow' && traceHeaders.length) d.setHeaders.push(...traceHeaders);
    if (pending) state.audit = pending;
    return d;
  }

  private async onRequestHeaders(state: StreamState, msg: ProcessingRequest): Promise<ProcessingResponse> {
    const headers = headerLookup(msg.request_headers?.headers);
    const endOfStream = msg.request_headers?.end_of_stream === true;
    state.envoy = envoyFacts(msg);
    // end_of_stream on the headers means no body will ever come (GET, DELETE, body-less POST), so this
    // reply is the only chance to set the affinity header.
    const view = { ...requestView(headers, endOfStream ? null : undefined), envoy: state.envoy };
    const d = await this.decide(state, view, endOfStream, () => this.deps.gateway.decide(view, 'ext_proc'));
    this.afterRequestDecision(state, d, endOfStream ? 'awaiting_response_headers' : 'awaiting_request_body');
    if (d.kind === 'allow') state.headers = headers;
    return requestReply('request_headers', d);
  }

  private async onRequestBody(state: StreamState, msg: ProcessingRequest): Promise<ProcessingResponse> {
    const body = msg.request_body;
    const headers = state.headers ?? NO_HEADERS;
    const view = { ...requestView(headers, body?.body ?? Buffer.alloc(0)), envoy: state.envoy ?? {} };
    const d = await this.decide(state, view, true, () =>
      body?.end_of_stream === false ? this.deps.gateway.refusePartialBody(requestView(headers, undefined)) : this.deps.gateway.decide(view, 'ext_proc'),
    );
    this.afterRequestDecision(state, d, 'awaiting_response_headers');
    return requestReply('request_body', d);
  }

  private afterRequestDecision(state: StreamState, d: Decision, next: StreamState['phase']): void {
    state.summary = d.summary;
    if (d.kind !== 'allow') {
      state.phase = 'done';
      return;
    }
    state.phase = next;
    if (d.pin) state.pin = d.pin;
    if (d.list) state.list = d.list;
    if (d.limits) state.limits = d.limits;
  }

  private async onResponseHeaders(state: StreamState, msg: ProcessingRequest): Promise<ProcessingResponse> {
    const started = process.hrtime.bigint();
    const header = headerLookup(msg.response_headers?.headers);
    const upstreamAddress = structString(msg.attributes?.[ATTRIBUTES_KEY], 'upstream.address');
    const response = { status: Number(header(':status') ?? 0), header, ...(upstreamAddress ? { upstreamAddress } : {}) };
    const hasBody = msg.response_headers?.end_of_stream !== true;
    const sessionId = header('mcp-session-id');
    state.phase = 'done';
    this.deps.observer.responded(state.audit, { status: response.status, ...(upstreamAddress ? { pod: upstreamAddress } : {}), ...(sessionId ? { sessionId } : {}) });
    state.audit = undefined;
    if (sessionId && state.limits?.bindSession) await state.limits.bindSession(sessionId).catch(() => undefined);
    const pinning = this.deps.gateway.pinning;
    const step = state.pin && pinning ? await pinning.onResponseHeaders(state.pin, response) : undefined;
    const addedHeaders = [...(state.limits?.responseHeaders ?? []), ...(step?.kind === 'continue' ? (step.setHeaders ?? []) : [])];
    let reply: ProcessingResponse;
    if (step?.kind === 'replace') {
      reply = this.stepReply(state, step, 'response_headers');
    } else if (hasBody && step?.readBody && state.pin && pinning) {
      state.readBody = pinning.bodyReader(state.pin, response);
      reply = responseHeadersReply(step.readBody, false, addedHeaders);
    } else {
      // Only list results are read, and only as much as their framing needs: JSON whole, SSE per chunk.
      const framing = hasBody && state.list && response.status === 200 ? listFraming(header('content-type')) : undefined;
      if (framing && state.list) {
        state.readBody = listReader(state.list, framing);
        reply = responseHeadersReply(framing === 'json' ? 'BUFFERED' : 'STREAMED', true, addedHeaders);
      } else if (hasBody && state.limits?.release) {
        // Concurrency slots are held until the body ends, however long an SSE stream lasts.
        state.readBody = PASS_THROUGH;
        reply = responseHeadersReply('STREAMED', false, addedHeaders);
      } else {
        reply = responseHeadersReply(undefined, false, addedHeaders);
      }
    }
    if (state.readBody && state.phase === 'done') state.phase = 'awaiting_response_body';
    if (state.phase === 'done') this.releaseLimits(state);
    this.deps.metrics.observeLatency('ext_proc_response', Number(process.hrtime.bigint() - started) / 1e9);
    return reply;
  }

  private async onResponseBody(state: StreamState, msg: ProcessingRequest): Promise<ProcessingResponse> {
    const body = msg.response_body;
    const step = (await state.readBody?.(body?.body ?? Buffer.alloc(0), body?.end_of_stream === true)) ?? { kind: 'continue' };
    if (body?.end_of_stream) {
      state.phase = 'done';
      this.releaseLimits(state);
    }
    return this.stepReply(state, step, 'response_body');
  }

  private stepReply(state: StreamState, step: BodyStep, kind: 'response_headers' | 'response_body'): ProcessingResponse {
    if (step.kind === 'replace') {
      state.phase = 'done';
      this.releaseLimits(state);
      const d = this.deps.gateway.refuse(step.refusal, state.summary ?? {}, step.retryAfter);
      this.deps.logger.info({ hook: 'ext_proc_response', reason: d.reason, status: d.status, ...d.summary }, 'response replaced');
      return denyReply(d);
    }
    if (kind === 'response_headers') return responseHeadersReply(undefined, false, state.limits?.responseHeaders);
    return responseBodyReply(step.kind === 'mutate' ? step.body : undefined);
  }

  private releaseLimits(state: StreamState): void {
    const release = state.limits?.release;
    if (!release) return;
    state.limits = { ...state.limits, release: undefined } as StreamState['limits'];
    void release().catch((err: Error) => this.deps.logger.warn({ err: err.message }, 'limit release failed; the lease will expire'));
  }
}

export function externalProcessorService(deps: ProcessorDeps): grpc.UntypedServiceImplementation {
  const processor = new RequestProcessor(deps);
  return {
    Process(call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>) {
      const state = newStreamState();
      deps.metrics.streamsOpen.inc({ service: 'ext_proc' });
      let open = true;
      // Replies must go out in message order, and decisions may await the store: one chain per stream.
      let queue: Promise<void> = Promise.resolve();
      const finish = () => {
        if (!open) return;
        open = false;
        processor.finish(state);
        deps.metrics.streamsOpen.dec({ service: 'ext_proc' });
      };
      const fail = (problem: string, code: grpc.status) => {
        // A non-OK status makes Envoy fail the request closed (status_on_error), never pass it unread.
        call.emit('error', Object.assign(new Error(problem), { code }));
      };
      let ended = false;
      const endOnce = () => {
        if (ended) return;
        ended = true;
        call.end();
        finish();
      };
      call.on('data', (msg: ProcessingRequest) => {
        queue = queue.then(async () => {
          if (!open) return;
          let out: ProcessingResponse | string;
          try {
            out = await processor.handle(state, msg);
          } catch (err) {
            deps.logger.error({ hook: 'ext_proc', err: (err as Error).message }, 'ext_proc decision failed');
            return fail('mcpgw could not decide', grpc.status.INTERNAL);
          }
          if (typeof out === 'string') return fail(`spurious ext_proc message: ${out}`, grpc.status.FAILED_PRECONDITION);
          if (!open) return;
          call.write(out);
          // Nothing more will be asked of this stream: close it with OK now (Envoy continues without
          // ext_proc, reference/envoy.md §1.11). Otherwise Envoy's end-of-stream reset arrives on an
          // open stream, and resets trip nghttp2's rapid-reset guard (docs/deployment.md).
          if (state.phase === 'done') endOnce();
        });
      });
      // Envoy half-closes and then cancels every stream when the request ends: both are normal.
      call.on('end', () => void queue.then(endOnce));
      call.on('cancelled', finish);
      call.on('error', (err: Error & { code?: number }) => {
        if (err.code !== grpc.status.CANCELLED) {
          deps.metrics.grpcErrors.inc({ service: 'ext_proc' });
          deps.logger.warn({ hook: 'ext_proc', err: err.message }, 'ext_proc stream error');
        }
        finish();
      });
    },
  };
}
