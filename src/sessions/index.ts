// Public face of session pinning state: which pod holds each MCP session, shared across replicas
// through Redis or kept in this process.
export type {
  SessionBinding,
  SessionEndListener,
  SessionEndReason,
  SessionKind,
  SessionListQuery,
  SessionPage,
  SessionRegistry,
} from './binding.js';
export { MemorySessionRegistry, type MemorySessionRegistryOptions } from './memoryRegistry.js';
export { RedisSessionRegistry, type RedisSessionRegistryOptions } from './redisRegistry.js';
export { MAX_HANDSHAKE_CHARS, SessionInputError, isValidSessionId } from './validate.js';
export { StoreUnavailableError } from '../store/index.js';
import { RedisStore, type Store } from '../store/index.js';
import type { Logger } from '../telemetry/index.js';
import type { SessionRegistry } from './binding.js';
import { MemorySessionRegistry } from './memoryRegistry.js';
import { RedisSessionRegistry } from './redisRegistry.js';

export interface SessionRegistryOptions {
  /** Sliding TTL of a binding. */
  ttlMs: number;
  /** In-process cache in front of Redis (ignored by the memory store). */
  cache: { max: number; ttlMs: number };
  /** Redis: list buckets per server (RedisSessionRegistryOptions.buckets). */
  buckets?: number;
  /** Most bindings the memory store keeps (ignored by Redis). */
  maxSessions?: number;
  logger: Logger;
  /** Redis: bindings a failover lost (RedisSessionRegistryOptions.onLost). */
  onLost?: (n: number) => void;
}

/**
 * The registry for the store mcpgw runs with: Redis-backed (and listening for other replicas'
 * invalidations) on a RedisStore, in-process otherwise.
 */
export function createSessionRegistry(store: Store, options: SessionRegistryOptions): SessionRegistry {
  if (store instanceof RedisStore) {
    const registry = new RedisSessionRegistry(store, options);
    registry.start();
    return registry;
  }
  return new MemorySessionRegistry(options);
}
export { HttpSessionHandshake, type HandshakeRequest, type HandshakeResult, type SessionHandshake } from './handshake.js';
export { createRecoveryLock, type RecoveryLock } from './recoveryLock.js';
