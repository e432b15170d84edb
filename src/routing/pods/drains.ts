// Admin drain marks ("no new sessions for this pod"), shared by every replica through the store.
// A mark expires on its own some time after the drain deadline, so a pod IP reused by a new pod
// is not born draining.
import type { RedisStore } from '../../store/index.js';
import type { Logger } from '../../telemetry/index.js';

export interface DrainMarks {
  /** host → ms epoch when the drain began; read on the request path, so it is a local copy. */
  current(): ReadonlyMap<string, number>;
  drain(host: string, now: number): Promise<void>;
  undrain(host: string): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class MemoryDrainMarks implements DrainMarks {
  private readonly marks = new Map<string, number>();
  constructor(private readonly lifetimeMs: number, private readonly now: () => number = Date.now) {}
  current(): ReadonlyMap<string, number> {
    const t = this.now();
    for (const [host, since] of this.marks) if (t - since > this.lifetimeMs) this.marks.delete(host);
    return this.marks;
  }
  async drain(host: string, now: number): Promise<void> {
    if (!this.marks.has(host)) this.marks.set(host, now);
  }
  async undrain(host: string): Promise<void> {
    this.marks.delete(host);
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

const REFRESH_MS = 10_000;

/** Marks in one Redis hash; changes are announced on a channel and re-read every few seconds anyway. */
export class RedisDrainMarks implements DrainMarks {
  private marks: ReadonlyMap<string, number> = new Map();
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private readonly key: string;
  private readonly channel: string;

  constructor(
    private readonly store: RedisStore,
    private readonly lifetimeMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.key = `${store.keyPrefix}drains`;
    this.channel = `${store.keyPrefix}drains:changed`;
  }

  current(): ReadonlyMap<string, number> {
    return this.marks;
  }

  async drain(host: string, now: number): Promise<void> {
    await this.store.run('drain', (r) => r.hsetnx(this.key, host, String(now)));
    await this.announce();
  }

  async undrain(host: string): Promise<void> {
    await this.store.run('undrain', (r) => r.hdel(this.key, host));
    await this.announce();
  }

  async start(): Promise<void> {
    this.unsubscribe = this.store.subscribe(this.channel, { message: () => void this.refresh(), resync: () => void this.refresh() });
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
    await this.refresh();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  private async announce(): Promise<void> {
    await this.refresh();
    await this.store.run('drain-announce', (r) => r.publish(this.channel, '1')).catch(() => undefined);
  }

  /** Keeps the last known marks while Redis is away: draining must not silently stop. */
  private async refresh(): Promise<void> {
    try {
      const all = await this.store.run('drains', (r) => r.hgetall(this.key));
      const t = this.now();
      const next = new Map<string, number>();
      const expired: string[] = [];
      for (const [host, since] of Object.entries(all)) {
        const at = Number(since);
        if (t - at > this.lifetimeMs) expired.push(host);
        else next.set(host, at);
      }
      this.marks = next;
      if (expired.length) await this.store.run('drains-expire', (r) => r.hdel(this.key, ...expired));
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'drain marks not refreshed; keeping the last known');
    }
  }
}
