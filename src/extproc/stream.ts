// ext_proc Process: drives one stream's machine (streamState.ts) from the gRPC call. Messages are
// handled one at a time, in order (replies must go out in message order, and the work may await the
// store); the end of the stream is an event like any other, delivered at once, so a cancel while a
// decision is pending closes the stream and the decision's holds are released when it resolves.
import * as grpc from '@grpc/grpc-js';
import type { ProcessingRequest, ProcessingResponse } from '../envoy/index.js';
import { RequestProcessor, type ProcessorDeps, type Work } from './process.js';
import { newStreamState, transition, type Action, type Holds, type StreamEvent, type StreamState } from './streamState.js';

function eventOf(msg: ProcessingRequest): StreamEvent {
  switch (msg.request) {
    case 'request_headers':
      return msg.request_headers?.end_of_stream === true ? 'request_headers_end' : 'request_headers';
    case 'request_body':
    case 'response_headers':
    case 'response_body':
      return msg.request;
    case 'request_trailers':
    case 'response_trailers':
      return 'trailers';
    default:
      return 'unknown_message';
  }
}

/** What an action may need: the message that caused it, the reply work produced, or why the stream fails. */
interface Context {
  msg?: ProcessingRequest;
  reply?: ProcessingResponse;
  problem?: { message: string; code: grpc.status };
}

/** Where a stream's replies go: the gRPC call, or a bench driving the machine in process. */
export interface ReplySink {
  write(reply: ProcessingResponse): void;
  /** Close with OK. */
  end(): void;
  /** Close with a non-OK status. */
  fail(message: string, code: grpc.status): void;
}

export class ProcessStream {
  private readonly state: StreamState = newStreamState();
  /** The work in progress (and the messages queued behind it). */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: ReplySink,
    private readonly processor: RequestProcessor,
    private readonly deps: ProcessorDeps,
  ) {
    deps.metrics.streamsOpen.inc({ service: 'ext_proc' });
  }

  /** One message from Envoy, handled after those before it. */
  receive(msg: ProcessingRequest): void {
    this.enqueue(() => this.dispatch(eventOf(msg), { msg }));
  }

  /** Envoy half-closed: handled after the messages before it. */
  halfClose(): void {
    this.enqueue(() => this.dispatch('half_close', {}));
  }

  /** The stream is gone (cancelled or broken): handled at once, even while work is pending. */
  cancel(): void {
    this.dispatch('cancel', {});
  }

  /** Resolves once every message received so far has been answered. */
  settled(): Promise<void> {
    return this.queue;
  }

  private enqueue(step: () => Promise<void> | void): void {
    // A failure of one step must not break the chain (the messages behind it would never be answered).
    this.queue = this.queue.then(step).catch((err: unknown) => this.deps.logger.error({ hook: 'ext_proc', err: errorMessage(err) }, 'ext_proc stream step failed'));
  }

  /** Applies one event: the phase changes only here. Returns the work it started, if any. */
  private dispatch(event: StreamEvent, ctx: Context): Promise<void> | void {
    const from = this.state.phase;
    const t = transition(from, event);
    this.state.phase = t.phase;
    let work: Promise<void> | void = undefined;
    for (const action of t.actions) {
      try {
        work = this.act(action, ctx, `${event} in ${from}`) ?? work;
      } catch (err) {
        this.deps.logger.error({ hook: 'ext_proc', action, err: errorMessage(err) }, 'ext_proc action failed');
      }
    }
    if (from !== 'closed' && t.phase === 'closed') this.deps.metrics.streamsOpen.dec({ service: 'ext_proc' });
    return work;
  }

  private act(action: Action, ctx: Context, cause: string): Promise<void> | void {
    const { state, processor } = this;
    const msg = ctx.msg as ProcessingRequest;
    switch (action) {
      case 'decide_request_headers':
        return this.run(() => processor.requestHeaders(state, msg));
      case 'decide_request_body':
        return this.run(() => processor.requestBody(state, msg));
      case 'answer_response_headers':
        return this.run(() => processor.responseHeaders(state, msg));
      case 'read_response_body':
        return this.run(() => processor.responseBody(state, msg));
      case 'pass':
        this.sink.write(processor.pass(msg));
        return;
      case 'reply':
        if (ctx.reply) this.sink.write(ctx.reply);
        return;
      case 'end_ok':
        // Nothing more will be asked of this stream: close it with OK now. Otherwise Envoy's
        // end-of-stream reset arrives on an open stream, and resets trip nghttp2's rapid-reset guard
        // (docs/deployment.md).
        this.sink.end();
        return;
      case 'end_error': {
        const problem = ctx.problem ?? { message: `spurious ext_proc event: ${cause}`, code: grpc.status.FAILED_PRECONDITION };
        // A non-OK status makes Envoy fail the request closed (status_on_error), never pass it unread.
        this.sink.fail(problem.message, problem.code);
        return;
      }
      case 'release':
        this.release();
        return;
    }
  }

  /** Runs one phase's work; its result (or failure) is the next event, whatever the phase is by then. */
  private run(work: () => Promise<Work>): Promise<void> {
    return work().then(
      (w) => {
        this.adopt(w.holds);
        return this.dispatch(w.outcome, { reply: w.reply });
      },
      (err: unknown) => {
        this.deps.logger.error({ hook: 'ext_proc', err: errorMessage(err) }, 'ext_proc decision failed');
        return this.dispatch('failed', { problem: { message: 'mcpgw could not decide', code: grpc.status.INTERNAL } });
      },
    );
  }

  private adopt(holds: Holds | undefined): void {
    if (holds?.limits) this.state.holds.limits = holds.limits;
    if (holds?.audit) this.state.holds.audit = holds.audit;
  }

  /** The single exit: takes every hold out of the state (so none is given back twice) and gives it back. */
  private release(): void {
    const holds = this.state.holds;
    this.state.holds = {};
    this.processor.release(holds);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function externalProcessorService(deps: ProcessorDeps): grpc.UntypedServiceImplementation {
  return {
    Process(call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>) {
      // A stream is one HTTP request: the copy takes the gateway current now, so a live configuration
      // change never switches a request's version between its phases.
      const processor = new RequestProcessor({ ...deps });
      const stream = new ProcessStream(
        {
          write: (reply) => call.write(reply),
          end: () => call.end(),
          // Emitting the error sends it as the call's status.
          fail: (message, code) => call.emit('error', Object.assign(new Error(message), { code })),
        },
        processor,
        deps,
      );
      call.on('data', (msg: ProcessingRequest) => stream.receive(msg));
      // Envoy half-closes and then cancels every stream when the request ends: both are normal.
      call.on('end', () => stream.halfClose());
      call.on('cancelled', () => stream.cancel());
      call.on('error', (err: Error & { code?: number }) => {
        if (err.code !== grpc.status.CANCELLED) {
          deps.metrics.grpcErrors.inc({ service: 'ext_proc' });
          deps.logger.warn({ hook: 'ext_proc', err: err.message }, 'ext_proc stream error');
        }
        stream.cancel();
      });
    },
  };
}
