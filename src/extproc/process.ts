// ext_proc adapter: one bidirectional stream per HTTP request, one function per phase
// (reference/envoy.md §1.5). Headers SEND, request body BUFFERED, response headers SEND, bodies NONE.
import * as grpc from '@grpc/grpc-js';
import { requestView, type Decision, type Gateway } from '../core/index.js';
import {
  commonResponse,
  headerMutation,
  headerRecord,
  immediateResponse,
  type ProcessingRequest,
  type ProcessingResponse,
  type ProtoStruct,
} from '../envoy/index.js';
import type { GatewayMetrics, Hook, Logger } from '../telemetry/index.js';
import { newStreamState, type StreamState } from './streamState.js';

export interface ProcessorDeps {
  gateway: Gateway;
  metrics: GatewayMetrics;
  logger: Logger;
}

/** Dynamic metadata under mcpgw's namespace, for access logs and rate-limit descriptors. */
function mcpgwMetadata(d: Decision): ProtoStruct | undefined {
  const s = d.summary;
  if (!s.server) return undefined;
  const fields: NonNullable<ProtoStruct['fields']> = { server: { stringValue: s.server } };
  if (s.method) fields.method = { stringValue: s.method };
  if (s.name) fields.name = { stringValue: s.name };
  return { fields: { mcpgw: { structValue: { fields } } } };
}

function reply(kind: 'request_headers' | 'request_body', d: Decision): ProcessingResponse {
  if (d.kind === 'deny') return { response: 'immediate_response', immediate_response: immediateResponse(d) };
  const r: ProcessingResponse = { response: kind, [kind]: { response: commonResponse(headerMutation(d.setHeaders, d.removeHeaders)) } };
  const md = mcpgwMetadata(d);
  if (md) r.dynamic_metadata = md;
  return r;
}

export class RequestProcessor {
  constructor(private readonly deps: ProcessorDeps) {}

  /** Returns the one reply to `msg`, or an error string for a spurious message. */
  handle(state: StreamState, msg: ProcessingRequest): ProcessingResponse | string {
    switch (msg.request) {
      case 'request_headers':
        return state.phase === 'awaiting_request_headers' ? this.onRequestHeaders(state, msg) : `request_headers in ${state.phase}`;
      case 'request_body':
        return state.phase === 'awaiting_request_body' ? this.onRequestBody(state, msg) : `request_body in ${state.phase}`;
      // A local reply (Envoy's 413, an ext_authz denial, no healthy upstream) can start the response
      // phase before, or instead of, the request phase we were waiting for.
      case 'response_headers':
        return state.phase !== 'done' ? this.onResponseHeaders(state) : `response_headers in ${state.phase}`;
      // Trailers and bodies arrive only if the filter config asks for them: pass them through untouched.
      case 'request_trailers':
        return { response: 'request_trailers', request_trailers: {} };
      case 'response_trailers':
        return { response: 'response_trailers', response_trailers: {} };
      case 'response_body':
        return { response: 'response_body', response_body: { response: {} } };
      default:
        return `unknown message ${String(msg.request)}`;
    }
  }

  private timed(hook: Hook, decide: () => Decision): Decision {
    const started = process.hrtime.bigint();
    const d = decide();
    this.deps.metrics.observeDecision(hook, d, Number(process.hrtime.bigint() - started) / 1e9);
    if (d.kind === 'deny') this.deps.logger.info({ hook, reason: d.reason, status: d.status, ...d.summary }, 'request denied');
    return d;
  }

  private onRequestHeaders(state: StreamState, msg: ProcessingRequest): ProcessingResponse {
    const headers = headerRecord(msg.request_headers?.headers);
    const endOfStream = msg.request_headers?.end_of_stream === true;
    // end_of_stream on the headers means no body will ever come (GET, DELETE, body-less POST).
    const d = this.timed('ext_proc_request', () => this.deps.gateway.decide(requestView(headers, endOfStream ? null : undefined)));
    state.summary = d.summary;
    if (d.kind === 'allow') {
      state.headers = headers;
      state.phase = endOfStream ? 'awaiting_response_headers' : 'awaiting_request_body';
    } else state.phase = 'done';
    return reply('request_headers', d);
  }

  private onRequestBody(state: StreamState, msg: ProcessingRequest): ProcessingResponse {
    const body = msg.request_body;
    const headers = state.headers ?? {};
    const d = this.timed('ext_proc_request', () =>
      body?.end_of_stream === false
        ? this.deps.gateway.refusePartialBody(requestView(headers, undefined))
        : this.deps.gateway.decide(requestView(headers, body?.body ?? Buffer.alloc(0))),
    );
    state.summary = d.summary;
    state.phase = d.kind === 'allow' ? 'awaiting_response_headers' : 'done';
    return reply('request_body', d);
  }

  private onResponseHeaders(state: StreamState): ProcessingResponse {
    const started = process.hrtime.bigint();
    state.phase = 'done';
    const r: ProcessingResponse = { response: 'response_headers', response_headers: { response: {} } };
    this.deps.metrics.observeLatency('ext_proc_response', Number(process.hrtime.bigint() - started) / 1e9);
    return r;
  }
}

export function externalProcessorService(deps: ProcessorDeps): grpc.UntypedServiceImplementation {
  const processor = new RequestProcessor(deps);
  return {
    Process(call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>) {
      const state = newStreamState();
      deps.metrics.streamsOpen.inc({ service: 'ext_proc' });
      let open = true;
      const finish = () => {
        if (!open) return;
        open = false;
        deps.metrics.streamsOpen.dec({ service: 'ext_proc' });
      };
      call.on('data', (msg: ProcessingRequest) => {
        const out = processor.handle(state, msg);
        if (typeof out === 'string') {
          // A non-OK status makes Envoy fail the request closed (status_on_error), never pass it unread.
          call.emit('error', Object.assign(new Error(`spurious ext_proc message: ${out}`), { code: grpc.status.FAILED_PRECONDITION }));
          return;
        }
        call.write(out);
      });
      // Envoy half-closes and then cancels every stream when the request ends: both are normal.
      call.on('end', () => {
        call.end();
        finish();
      });
      call.on('cancelled', finish);
      call.on('error', (err: Error & { code?: number }) => {
        if (err.code !== 1 /* CANCELLED */) {
          deps.metrics.grpcErrors.inc({ service: 'ext_proc' });
          deps.logger.warn({ hook: 'ext_proc', err: err.message }, 'ext_proc stream error');
        }
        finish();
      });
    },
  };
}
