// The answer to one POST that carried requests: either an SSE stream that each response (and any
// server message routed to it) is written to as it arrives, or one JSON body written once every
// request in it has been answered (an array for a batch, in the order the client sent the ids), or
// (2024-11-05) the session's one SSE stream.
import type { ServerResponse } from 'node:http';
import { SseStream } from './sse.js';

export interface Reply {
  readonly streaming: boolean;
  /** An open stream server-initiated messages can go to. */
  readonly canCarry: boolean;
  /** The response to one of this POST's requests; the reply finishes after the last one. */
  answer(key: string, json: string, onDrain: () => void): boolean;
  /** A server request or notification that belongs with this POST. */
  carry(json: string, onDrain: () => void): boolean;
  /** The request will get no response (cancelled): stop waiting for it. */
  forget(key: string): void;
}

export class SseReply implements Reply {
  readonly streaming = true;
  private readonly stream: SseStream;
  private readonly waiting: Set<string>;

  constructor(res: ServerResponse, headers: Record<string, string>, keys: string[], onClose: () => void) {
    this.waiting = new Set(keys);
    this.stream = new SseStream(res, headers, onClose);
  }

  get canCarry(): boolean {
    return this.stream.isOpen;
  }

  answer(key: string, json: string, onDrain: () => void): boolean {
    const ok = this.stream.send(json, onDrain);
    this.forget(key);
    return ok;
  }

  carry(json: string, onDrain: () => void): boolean {
    return this.stream.send(json, onDrain);
  }

  forget(key: string): void {
    this.waiting.delete(key);
    if (this.waiting.size === 0) this.stream.end();
  }
}

/** 2024-11-05: the POST got 202 and every answer travels on the session's one SSE stream. */
export class StreamReply implements Reply {
  readonly streaming = true;

  constructor(private readonly stream: SseStream) {}

  get canCarry(): boolean {
    return this.stream.isOpen;
  }

  answer(_key: string, json: string, onDrain: () => void): boolean {
    return this.stream.send(json, onDrain);
  }

  carry(json: string, onDrain: () => void): boolean {
    return this.stream.send(json, onDrain);
  }

  forget(): void {}
}

export class JsonReply implements Reply {
  readonly streaming = false;
  readonly canCarry = false;
  private readonly answers = new Map<string, string>();

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: Record<string, string>,
    private readonly keys: string[],
    private readonly batch: boolean,
    private readonly cancelledBody: (key: string) => string,
    /** The HTTP status of the finished body (2026-07-28 answers "method not found" with 404). */
    private readonly statusOf: (body: string) => number = () => 200,
  ) {}

  answer(key: string, json: string): boolean {
    this.answers.set(key, json);
    this.finishIfDone();
    return true;
  }

  carry(): boolean {
    return true;
  }

  forget(key: string): void {
    this.answer(key, this.cancelledBody(key));
  }

  private finishIfDone(): void {
    if (this.answers.size < this.keys.length || this.res.writableEnded) return;
    const parts = this.keys.map((k) => this.answers.get(k) ?? '');
    const body = this.batch ? `[${parts.join(',')}]` : (parts[0] ?? '');
    this.res.writeHead(this.statusOf(body), { ...this.headers, 'content-type': 'application/json' });
    this.res.end(body);
  }
}
