// Exponential retry delay with jitter, so many mcpgw replicas do not hit the API server in step.
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** First delay after an error; doubles per consecutive error. Default 500 ms. */
  initialDelayMs?: number;
  /** Ceiling of the delay. Default 30 s. */
  maxDelayMs?: number;
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  #nextMs: number;

  constructor(opts: RetryOptions = {}) {
    this.#initialMs = opts.initialDelayMs ?? 500;
    this.#maxMs = opts.maxDelayMs ?? 30_000;
    this.#nextMs = this.#initialMs;
  }

  reset(): void {
    this.#nextMs = this.#initialMs;
  }

  /** The delay the next wait() will use (before jitter), for log lines. */
  get nextDelayMs(): number {
    return this.#nextMs;
  }

  /** Waits half to all of the current delay, then doubles it. Resolves early (no throw) when signal aborts. */
  async wait(signal: AbortSignal): Promise<void> {
    const ms = this.#nextMs / 2 + Math.random() * (this.#nextMs / 2);
    this.#nextMs = Math.min(this.#nextMs * 2, this.#maxMs);
    await sleep(ms, undefined, { signal }).catch(() => {});
  }
}
