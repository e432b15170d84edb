// The downstream request body: buffered on demand (ext_authz with_request_body, ext_proc BUFFERED),
// otherwise handed on chunk by chunk as it arrives (NONE / STREAMED).
import type { IncomingMessage } from 'node:http';

export class RequestBody {
  /** Chunks received and not yet consumed. */
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** Bytes received so far (Envoy's stream_info.bytesReceived()). */
  received = 0;
  ended = false;
  /** The client went away before the body ended. */
  aborted = false;
  private waiters: Array<() => void> = [];

  /** `present` is false when the headers ended the stream (no content-length > 0, no chunked framing). */
  constructor(
    private readonly req: IncomingMessage,
    readonly present: boolean,
  ) {
    req.pause();
    req.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.bufferedBytes += c.length;
      this.received += c.length;
      this.wake();
    });
    req.on('end', () => {
      this.ended = true;
      this.wake();
    });
    req.on('close', () => {
      if (!this.ended) {
        this.aborted = true;
        this.ended = true;
        this.wake();
      }
    });
    if (!present) req.resume();
  }

  get buffered(): number {
    return this.bufferedBytes;
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private async more(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      this.req.resume();
    });
    this.req.pause();
  }

  /** Reads until more than `limit` bytes are buffered or the body ended; true if it ended within the limit. */
  async fillBeyond(limit: number): Promise<boolean> {
    while (!this.ended && this.bufferedBytes <= limit) await this.more();
    return this.ended && !this.aborted && this.bufferedBytes <= limit;
  }

  /** Reads until at least `n` bytes are buffered or the body ended. */
  async fillAtLeast(n: number): Promise<void> {
    while (!this.ended && this.bufferedBytes < n) await this.more();
  }

  peek(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Replaces what is buffered (a BUFFERED body mutation). */
  replace(body: Buffer): void {
    this.chunks = body.length ? [body] : [];
    this.bufferedBytes = body.length;
  }

  /** Next chunk (buffered first, then live); null at the end. */
  async next(): Promise<Buffer | null> {
    while (this.chunks.length === 0 && !this.ended) await this.more();
    const c = this.chunks.shift();
    if (!c) return null;
    this.bufferedBytes -= c.length;
    return c;
  }
}
