// Registries on a real redis-server for the Redis test files: each gets its own key prefix, so
// tests sharing one server never see each other's bindings.
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisSessionRegistry } from '../../src/sessions/index.js';
import { RedisStore } from '../../src/store/index.js';
import { createLogger } from '../../src/telemetry/index.js';

export const silent = createLogger('silent');

let prefixes = 0;

export function uniquePrefix(): string {
  return `t${process.pid}-${++prefixes}:`;
}

export interface ReplicaOptions {
  ttlMs?: number;
  cacheMax?: number;
  cacheTtlMs?: number;
  buckets?: number;
}

export interface Replica {
  store: RedisStore;
  registry: RedisSessionRegistry;
  errors: string[];
  close(): Promise<void>;
}

/** One "mcpgw replica": its own connections and cache, on the given prefix. Does not wait for Redis. */
export function replica(url: string, keyPrefix: string, options: ReplicaOptions = {}): Replica {
  const errors: string[] = [];
  const store = new RedisStore({ url, keyPrefix, logger: silent, commandTimeoutMs: 1000, onError: (op) => errors.push(op) });
  const registry = new RedisSessionRegistry(store, {
    ttlMs: options.ttlMs ?? 60_000,
    cache: { max: options.cacheMax ?? 1000, ttlMs: options.cacheTtlMs ?? 60_000 },
    ...(options.buckets === undefined ? {} : { buckets: options.buckets }),
    logger: silent,
  });
  store.connect();
  registry.start();
  return {
    store,
    registry,
    errors,
    close: async () => {
      registry.stop();
      await store.close();
    },
  };
}

/** A replica once Redis answers it. */
export async function readyReplica(url: string, keyPrefix: string, options?: ReplicaOptions): Promise<Replica> {
  const r = replica(url, keyPrefix, options);
  await eventually(() => r.store.ping());
  return r;
}

/** Polls until check resolves without throwing (conditions, not timings, decide). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(20);
    }
  }
}
