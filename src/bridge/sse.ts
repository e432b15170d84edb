// One open Server-Sent Events response (a POST's reply stream or the session's GET stream). Each
// JSON-RPC message is written as it arrives: nothing is held back.
import type { ServerResponse } from 'node:http';

/** A comment line this often keeps a quiet stream (a long call, an idle GET) from proxies' idle timeouts. */
const KEEPALIVE_MS = 15_000;

export class SseStream {
  private open = true;
  private readonly keepalive: NodeJS.Timeout;

  constructor(private readonly res: ServerResponse, headers: Record<string, string>, onClose: () => void) {
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    this.keepalive = setInterval(() => this.isOpen && res.write(': keepalive\n\n'), KEEPALIVE_MS).unref();
    res.once('close', () => {
      this.open = false;
      clearInterval(this.keepalive);
      onClose();
    });
  }

  get isOpen(): boolean {
    return this.open && !this.res.writableEnded;
  }

  /** False when the socket is backed up: the caller pauses its source until `drain`. */
  send(json: string, onDrain: () => void, event = 'message'): boolean {
    if (!this.isOpen) return true;
    const ok = this.res.write(`event: ${event}\ndata: ${json}\n\n`);
    if (!ok) {
      // Resume on drain, or when the client goes away with the socket still full.
      let called = false;
      const once = () => {
        if (!called) (called = true), onDrain();
      };
      this.res.once('drain', once);
      this.res.once('close', once);
    }
    return ok;
  }

  end(): void {
    if (this.isOpen) this.res.end();
    this.open = false;
    clearInterval(this.keepalive);
  }
}
