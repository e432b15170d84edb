// ext_proc adapter: one bidirectional stream per HTTP request, one function per phase
// (reference/envoy.md §1.5). Headers SEND, request body BUFFERED, response headers SEND, response body
// NONE unless session pinning needs to read it (mode_override).
import * as grpc from '@grpc/grpc-js';
import { requestView, type Decision, type Gateway, type ResponseStep } from '../core/index.js';
import { headerRecord, structString, type ProcessingRequest, type ProcessingResponse } from '../envoy/index.js';
import type { GatewayMetrics, Hook, Logger } from '../telemetry/index.js';
import { RESPONSE_BODY_CONTINUE, denyReply, requestReply, responseHeadersReply } from './replies.js';
import { newStreamState, type StreamState } from './streamState.js';

export interface ProcessorDeps {
  gateway: Gateway;
  metrics: GatewayMetrics;
  logger: Logger;
}

const ATTRIBUTES_KEY = 'envoy.filters.http.ext_proc';

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

  private async timed(hook: Hook, decide: () => Decision | Promise<Decision>): Promise<Decision> {
    const started = process.hrtime.bigint();
    const d = await decide();
    this.deps.metrics.observeDecision(hook, d, Number(process.hrtime.bigint() - started) / 1e9);
    if (d.kind === 'deny') this.deps.logger.info({ hook, reason: d.reason, status: d.status, ...d.summary }, 'request denied');
    return d;
  }

  private async onRequestHeaders(state: StreamState, msg: ProcessingRequest): Promise<ProcessingResponse> {
    const headers = headerRecord(msg.request_headers?.headers);
    const endOfStream = msg.request_headers?.end_of_stream === true;
    // end_of_stream on the headers means no body will ever come (GET, DELETE, body-less POST), so this
    // reply is the only chance to set the affinity header.
    const d = await this.timed('ext_proc_request', () => this.deps.gateway.decide(requestView(headers, endOfStream ? null : undefined), 'ext_proc'));
    this.afterRequestDecision(state, d, endOfStream ? 'awaiting_response_headers' : 'awaiting_request_body');
    if (d.kind === 'allow') state.headers = headers;
    return requestReply('request_headers', d);
  }

  private async onRequestBody(state: StreamState, msg: ProcessingRequest): Promise<ProcessingResponse> {
    const body = msg.request_body;
    const headers = state.headers ?? {};
    const d = await this.timed('ext_proc_request', () =>
      body?.end_of_stream === false
        ? this.deps.gateway.refusePartialBody(requestView(headers, undefined))
        : this.deps.gateway.decide(requestView(headers, body?.body ?? Buffer.alloc(0)), 'ext_proc'),
    );
    this.afterRequestDecision(state, d, 'awaiting_response_headers');
    return requestReply('request_body', d);
  }

  private afterRequestDecision(state: StreamState, d: Decision, next: StreamState['phase']): void {
    state.summary = d.summary;
    if (d.kind === 'deny') {
      state.phase = 'done';
      return;
    }
    state.phase = next;
    if (d.pin) state.pin = d.pin;
  }

  private async onResponseHeaders(state: StreamState, msg: ProcessingRequest): Promise<ProcessingResponse> {
    const started = process.hrtime.bigint();
    const headers = headerRecord(msg.response_headers?.headers);
    const upstreamAddress = structString(msg.attributes?.[ATTRIBUTES_KEY], 'upstream.address');
    const response = { status: Number(headers[':status'] ?? 0), header: (n: string) => headers[n], ...(upstreamAddress ? { upstreamAddress } : {}) };
    const pinning = this.deps.gateway.pinning;
    let reply: ProcessingResponse = responseHeadersReply();
    state.phase = 'done';
    if (state.pin && pinning && msg.response_headers?.end_of_stream !== true) {
      const step = await pinning.onResponseHeaders(state.pin, response);
      reply = this.stepReply(state, step, 'response_headers');
      if (step.kind === 'continue' && step.readBody) {
        state.phase = 'awaiting_response_body';
        state.readBody = pinning.bodyReader(state.pin, response);
      }
    } else if (state.pin && pinning) {
      await pinning.onResponseHeaders(state.pin, response);
    }
    this.deps.metrics.observeLatency('ext_proc_response', Number(process.hrtime.bigint() - started) / 1e9);
    return reply;
  }

  private async onResponseBody(state: StreamState, msg: ProcessingRequest): Promise<ProcessingResponse> {
    const body = msg.response_body;
    const step = (await state.readBody?.(body?.body ?? Buffer.alloc(0), body?.end_of_stream === true)) ?? { kind: 'continue' };
    if (body?.end_of_stream) state.phase = 'done';
    return this.stepReply(state, step, 'response_body');
  }

  private stepReply(state: StreamState, step: ResponseStep, kind: 'response_headers' | 'response_body'): ProcessingResponse {
    if (step.kind === 'replace') {
      state.phase = 'done';
      const d = this.deps.gateway.refuse(step.refusal, state.summary ?? {}, step.retryAfter);
      this.deps.logger.info({ hook: 'ext_proc_response', reason: d.reason, status: d.status, ...d.summary }, 'response replaced');
      return denyReply(d);
    }
    if (kind === 'response_body') return RESPONSE_BODY_CONTINUE;
    return responseHeadersReply(step.readBody);
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
        deps.metrics.streamsOpen.dec({ service: 'ext_proc' });
      };
      const fail = (problem: string, code: grpc.status) => {
        // A non-OK status makes Envoy fail the request closed (status_on_error), never pass it unread.
        call.emit('error', Object.assign(new Error(problem), { code }));
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
          // open stream, and a busy Envoy's resets trip nghttp2's rapid-reset limit (33/s), which
          // tears down the whole HTTP/2 connection with INTERNAL_ERROR.
          if (state.phase === 'done') endOnce();
        });
      });
      let ended = false;
      const endOnce = () => {
        if (ended) return;
        ended = true;
        call.end();
        finish();
      };
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
