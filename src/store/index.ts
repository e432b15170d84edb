// Shared state behind one small interface: in-process memory (one replica) or Redis (shared).
export { MemoryStore, type Store } from './store.js';
export { RedisStore, type RedisStoreOptions, type ChannelListener } from './redisStore.js';
export { StoreUnavailableError } from './errors.js';
export { RedisReplayCache } from './redisReplayCache.js';
export { LuaScript } from './luaScript.js';
import type { GatewayConfig } from '../config/index.js';
import type { Logger } from '../telemetry/index.js';
import { RedisStore } from './redisStore.js';
import { MemoryStore } from './store.js';

/** What a store needs from the running process rather than from config. */
export interface StoreContext {
  logger: Logger;
  /** Called once per failed store command, e.g. to count errors in a metric. */
  onError?: (op: string, err: unknown) => void;
}

/**
 * Builds the configured store and, for Redis, starts connecting without waiting (readiness pings
 * it). Redis uses the context (its connection state is logged); memory ignores it.
 */
export function createStore(config: GatewayConfig['store'], context: StoreContext): MemoryStore | RedisStore {
  switch (config.kind) {
    case 'memory':
      return new MemoryStore();
    case 'redis': {
      const store = new RedisStore({ ...config, ...context });
      store.connect();
      return store;
    }
  }
}
