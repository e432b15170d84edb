// Limiters for the limits tests: in memory or on a real redis-server, with a clock the test moves.
import { Limiter, type LimitsOptions } from '../../src/limits/index.js';
import { MemoryStore, RedisStore } from '../../src/store/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { eventually } from '../sessions/redisHarness.js';

export const silent = createLogger('silent');

/** 2030-01-01T00:00:00Z: whole days since the epoch, so second, minute, hour and day windows start here. */
export const T0 = Date.UTC(2030, 0, 1);

export class TestClock {
  constructor(public ms = T0) {}
  readonly now = () => this.ms;
  /** Sets the time to T0 + offset. */
  at(offset: number): void {
    this.ms = T0 + offset;
  }
}

export interface Harness {
  limiter: Limiter;
  clock: TestClock;
  close(): Promise<void>;
}

export function memoryLimiter(opts: LimitsOptions, clock = new TestClock()): Harness {
  const limiter = new Limiter(opts, { store: new MemoryStore(), logger: silent, now: clock.now });
  return { limiter, clock, close: async () => limiter.stop() };
}

let prefixes = 0;
export function uniquePrefix(): string {
  return `lt${process.pid}-${++prefixes}:`;
}

export interface RedisHarness extends Harness {
  store: RedisStore;
}

/** One "replica": its own connection to the Redis at url, on keyPrefix; waits until Redis answers. */
export async function redisLimiter(url: string, opts: LimitsOptions, keyPrefix: string, clock: TestClock | null = new TestClock()): Promise<RedisHarness> {
  const store = new RedisStore({ url, keyPrefix, logger: silent, commandTimeoutMs: 1000 });
  store.connect();
  await eventually(() => store.ping());
  const limiter = new Limiter(opts, { store, logger: silent, ...(clock && { now: clock.now }) });
  return {
    limiter,
    store,
    clock: clock ?? new TestClock(),
    close: async () => {
      limiter.stop();
      await store.close();
    },
  };
}
