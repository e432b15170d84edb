// What every registry (memory, Redis) promises: the core's registry (get, put, touch, delete,
// livePerPod; src/core/sessionPorts.ts) and what operations and admin need besides.
import type { SessionBinding, SessionEndReason, SessionRegistry as PinningRegistry } from '../core/index.js';

export type { SessionBinding, SessionEndReason, SessionKind } from '../core/index.js';

export interface SessionListQuery {
  server?: string;
  pod?: string;
  principal?: string;
  /** nextCursor of the previous page. */
  cursor?: string;
  limit: number;
}

export interface SessionPage {
  /**
   * Ordered by server, then in an order of each registry's own that a cursor resumes exactly (memory:
   * by id; Redis: by list bucket, then id). May hold fewer than limit items even when nextCursor is set.
   */
  items: SessionBinding[];
  /** Present unless the listing reached the end; the next page may turn out empty. */
  nextCursor?: string;
}

export type SessionEndListener = (b: SessionBinding, reason: SessionEndReason) => void;

export interface SessionRegistry extends PinningRegistry {
  list(q: SessionListQuery): Promise<SessionPage>;
  /** Listens for ended bindings; returns the unsubscribe. See each implementation for which ends it sees. */
  onEnded(listener: SessionEndListener): () => void;
}
