// Where servers applied through the API live: in this process (memory store), or in one Redis hash
// that every replica reads, with a pub/sub announcement so the others re-read it at once (and a
// periodic re-read for announcements lost while the subscription was down).
import { RedisStore, type Store } from '../store/index.js';
import type { Logger } from '../telemetry/index.js';

export interface ApiServerStore {
  /** Every stored server spec by name; rejects when the store cannot answer. */
  load(): Promise<Map<string, unknown>>;
  put(name: string, spec: unknown): Promise<void>;
  /** False when nothing was stored under the name. */
  delete(name: string): Promise<boolean>;
  /** Calls `changed` whenever another replica may have changed the stored servers. Returns the stop. */
  watch(changed: () => void): () => void;
}

export class MemoryApiServers implements ApiServerStore {
  private readonly specs = new Map<string, unknown>();
  async load(): Promise<Map<string, unknown>> {
    return new Map(this.specs);
  }
  async put(name: string, spec: unknown): Promise<void> {
    this.specs.set(name, spec);
  }
  async delete(name: string): Promise<boolean> {
    return this.specs.delete(name);
  }
  watch(): () => void {
    return () => undefined;
  }
}

const REREAD_MS = 10_000;

export class RedisApiServers implements ApiServerStore {
  private readonly key: string;
  private readonly channel: string;

  constructor(
    private readonly store: RedisStore,
    private readonly logger: Logger,
  ) {
    this.key = `${store.keyPrefix}config:servers`;
    this.channel = `${store.keyPrefix}config:changed`;
  }

  async load(): Promise<Map<string, unknown>> {
    const all = await this.store.run('config-servers', (r) => r.hgetall(this.key));
    const specs = new Map<string, unknown>();
    for (const [name, json] of Object.entries(all)) {
      try {
        specs.set(name, JSON.parse(json));
      } catch {
        this.logger.warn({ server: name }, 'stored API server is not JSON; ignored');
      }
    }
    return specs;
  }

  async put(name: string, spec: unknown): Promise<void> {
    await this.store.run('config-apply', (r) => r.hset(this.key, name, JSON.stringify(spec)));
    await this.announce();
  }

  async delete(name: string): Promise<boolean> {
    const removed = await this.store.run('config-delete', (r) => r.hdel(this.key, name));
    await this.announce();
    return removed > 0;
  }

  watch(changed: () => void): () => void {
    const unsubscribe = this.store.subscribe(this.channel, { message: changed, resync: changed });
    const timer = setInterval(changed, REREAD_MS);
    timer.unref();
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }

  private async announce(): Promise<void> {
    // The change is stored: a lost announcement only delays the others until their next re-read.
    await this.store.run('config-announce', (r) => r.publish(this.channel, '1')).catch(() => undefined);
  }
}

export function apiServerStore(store: Store, logger: Logger): ApiServerStore {
  return store instanceof RedisStore ? new RedisApiServers(store, logger) : new MemoryApiServers();
}
