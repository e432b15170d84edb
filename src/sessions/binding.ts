// What a session binding is and what every registry (memory, Redis) promises about it.

export type SessionKind = 'streamable' | 'legacy-sse' | 'task';

/** Why a binding ended, for metrics. */
export type SessionEndReason = 'deleted' | 'expired' | 'pod_gone' | 'upstream_lost';

/** One session pinned to one pod. Registries store a copy; treat what they return as read-only. */
export interface SessionBinding {
  /** Mcp-Session-Id, legacy SSE sessionId, or a 2026-07-28 task id: visible ASCII, at most 256 characters. */
  id: string;
  /** Config server name. */
  server: string;
  kind: SessionKind;
  /** Envoy host key "ip:port" of the pod that holds the session. */
  pod: string;
  /** Hash key used when endpoints were unknown; kept constant for the session. */
  affinityKey?: string;
  /** Owner; another principal presenting the id must get "not found". */
  principal?: string;
  /** MCP protocol revision. */
  revision: string;
  /** ms since epoch. */
  createdAt: number;
  /** ms since epoch of the last write (put or a touch that wrote). */
  lastSeenAt: number;
  /** The client's initialize params (JSON, bounded), kept to replay the handshake on another pod; never credentials. */
  handshake?: string;
  /** The session id the pod knows when it differs from the client's (after a recovery). */
  upstreamId?: string;
  /** How often the session was re-established on another pod. */
  recoveries?: number;
}

export interface SessionListQuery {
  server?: string;
  pod?: string;
  principal?: string;
  /** nextCursor of the previous page. */
  cursor?: string;
  limit: number;
}

export interface SessionPage {
  /** Ordered by (server, id). May hold fewer than limit items even when nextCursor is set. */
  items: SessionBinding[];
  /** Present unless the listing reached the end; the next page may turn out empty. */
  nextCursor?: string;
}

export type SessionEndListener = (b: SessionBinding, reason: SessionEndReason) => void;

export interface SessionRegistry {
  /** The binding, or undefined when unknown, expired, or the id is not a valid session id. */
  get(server: string, id: string): Promise<SessionBinding | undefined>;
  /** Records (or replaces) a binding with the full sliding TTL. Throws SessionInputError on malformed fields. */
  put(b: SessionBinding): Promise<void>;
  /**
   * Restarts the sliding TTL and records lastSeenAt = now. Skips the write when b was written less
   * than ttl/20 ago, so hot sessions cost no write per request. Never recreates a deleted binding.
   */
  touch(b: SessionBinding, now: number): Promise<void>;
  /** Removes the binding and tells other replicas; returns what was removed. reason defaults to 'deleted'. */
  delete(server: string, id: string, reason?: Exclude<SessionEndReason, 'expired'>): Promise<SessionBinding | undefined>;
  /** Live (unexpired) sessions per pod; pods without any are absent. */
  livePerPod(server: string): Promise<Map<string, number>>;
  list(q: SessionListQuery): Promise<SessionPage>;
  /** Removes every binding of the pod (reason 'pod_gone'); returns how many. */
  deleteByPod(server: string, pod: string): Promise<number>;
  /** Listens for ended bindings; returns the unsubscribe. See each implementation for which ends it sees. */
  onEnded(listener: SessionEndListener): () => void;
}
