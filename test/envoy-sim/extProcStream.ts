// One ext_proc gRPC stream per HTTP request: opened lazily, one outstanding message at a time, a
// per-message timer, and Envoy's ending (half-close, then cancel). reference/envoy.md §1.1, §1.11.
import * as grpc from '@grpc/grpc-js';
import type { ProcessingRequest, ProcessingResponse } from '../../src/envoy/messages.js';

export type ProcOutcome =
  | { kind: 'reply'; reply: ProcessingResponse }
  | { kind: 'spurious'; reply: ProcessingResponse }
  | { kind: 'timeout' }
  | { kind: 'closed-ok' }
  | { kind: 'grpc-error'; code: number; details: string };

interface Waiter {
  expect: string;
  resolve: (o: ProcOutcome) => void;
  timer?: NodeJS.Timeout;
  overridden: boolean;
}

type Duplex = grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse>;

export class ExtProcStream {
  private call: Duplex | undefined;
  private waiter: Waiter | undefined;
  private closedWith: ProcOutcome | undefined;
  private finished = false;

  constructor(
    private readonly client: grpc.Client,
    private readonly messageTimeoutMs: number,
    private readonly maxMessageTimeoutMs: number,
    private readonly onSent: (kind: string) => void,
  ) {}

  get opened(): boolean {
    return this.call !== undefined;
  }

  /** Sends one message and waits for its answer (matching oneof or immediate_response). */
  exchange(msg: ProcessingRequest & { request: string }): Promise<ProcOutcome> {
    if (this.closedWith) return Promise.resolve(this.closedWith);
    const call = this.open();
    return new Promise<ProcOutcome>((resolve) => {
      const w: Waiter = { expect: msg.request, resolve, overridden: false };
      this.waiter = w;
      this.arm(w, this.messageTimeoutMs);
      this.onSent(msg.request);
      call.write(msg);
    });
  }

  /** Envoy's end of every stream: closeStream() then resetStream(); the server sees half-close + CANCELLED. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.settle({ kind: 'closed-ok' });
    if (!this.call) return;
    const call = this.call;
    call.end();
    setImmediate(() => call.cancel());
  }

  private open(): Duplex {
    if (this.call) return this.call;
    const process = (this.client as unknown as { Process(): Duplex }).Process.bind(this.client);
    const call = process();
    this.call = call;
    call.on('data', (r: ProcessingResponse) => this.onReply(r));
    call.on('error', () => {}); // reported through 'status'
    call.on('status', (s: grpc.StatusObject) => {
      if (this.finished) return;
      this.closedWith = s.code === grpc.status.OK ? { kind: 'closed-ok' } : { kind: 'grpc-error', code: s.code, details: s.details };
      this.settle(this.closedWith);
    });
    return call;
  }

  private arm(w: Waiter, ms: number): void {
    if (w.timer) clearTimeout(w.timer);
    w.timer = setTimeout(() => this.settle({ kind: 'timeout' }), ms);
  }

  private settle(o: ProcOutcome): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = undefined;
    if (w.timer) clearTimeout(w.timer);
    w.resolve(o);
  }

  private onReply(r: ProcessingResponse): void {
    const w = this.waiter;
    if (!w) return; // nothing outstanding (e.g. after a timeout): Envoy drops it with the stream
    const raw = r as ProcessingResponse & { override_message_timeout?: { seconds?: string | number; nanos?: number } };
    if (raw.override_message_timeout) {
      // Not an answer: restart the timer once per state if 1 ms <= value <= max_message_timeout.
      const ms = Number(raw.override_message_timeout.seconds ?? 0) * 1000 + (raw.override_message_timeout.nanos ?? 0) / 1e6;
      if (!w.overridden && ms >= 1 && ms <= this.maxMessageTimeoutMs) {
        w.overridden = true;
        this.arm(w, ms);
      }
      return;
    }
    const matches = r.response === w.expect || r.response === 'immediate_response';
    this.settle(matches ? { kind: 'reply', reply: r } : { kind: 'spurious', reply: r });
  }
}
