// What session pinning needs from the world, owned by the core and implemented elsewhere: the
// bindings (src/sessions, memory or Redis), the pods Envoy balances over (src/routing), and, for
// session recovery, the handshake replay and its cross-replica lock (src/sessions).

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

/** A session id a client may present: visible ASCII 0x21–0x7E, 1 to 256 characters (it becomes a store key). */
export function isValidSessionId(id: unknown): id is string {
  return typeof id === 'string' && VISIBLE_ASCII.test(id);
}

const VISIBLE_ASCII = /^[\x21-\x7e]{1,256}$/;
/** A recorded initialize is capabilities and client info: a few hundred bytes; larger ones are not kept. */
export const MAX_HANDSHAKE_CHARS = 8192;

/** The bindings the core reads and writes. A store that cannot answer rejects with a StoreUnavailableError (src/store). */
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
}

/**
 * Whether a registry or lock failure means "the store did not answer", so the configured
 * whenUnavailable policy applies (anything else is a bug and propagates). Recognised by the error's
 * name, the contract src/store's StoreUnavailableError keeps, so the core needs no store code.
 */
export function isStoreUnavailable(err: unknown): boolean {
  return err instanceof Error && err.name === 'StoreUnavailableError';
}

export interface HandshakeRequest {
  /** Envoy host key "ip:port" of the pod (IPv6 as "[addr]:port"). */
  pod: string;
  /** The MCP endpoint path the client uses. */
  path: string;
  /** Host header the pod expects (the client's :authority). */
  authority: string;
  /** MCP-Protocol-Version of the session. */
  revision: string;
  /** The client's initialize params, as recorded (JSON). */
  params: string;
  /** Send notifications/initialized after initialize (not when the request being recovered is that notification). */
  sendInitialized: boolean;
  /** Identity and credential headers mcpgw injects on the way to the pod. */
  headers: ReadonlyArray<{ name: string; value: string }>;
  timeoutMs: number;
}

export type HandshakeResult = { ok: true; upstreamId: string } | { ok: false; reason: 'timeout' | 'handshake_error'; detail: string };

export interface SessionHandshake {
  open(r: HandshakeRequest): Promise<HandshakeResult>;
  /** Ends the pod's copy of a moved session (best effort: the pod forgets it at its idle timeout anyway). */
  close(r: Omit<HandshakeRequest, 'params' | 'sendInitialized'>, upstreamId: string): Promise<void>;
}

/** One recovery per session at a time, across replicas. */
export interface RecoveryLock {
  /** True when this caller may recover the session; false when another one is already doing it. */
  tryAcquire(key: string, ttlMs: number): Promise<boolean>;
  release(key: string): Promise<void>;
}

/** Why a bound pod can no longer serve its sessions. */
export type PodLoss = 'pod_gone' | 'drain_expired';

/** One server's pods as Envoy's hash LB sees them (src/routing). */
export interface ServerPods {
  /** Without an endpoint source mcpgw cannot choose pods: Envoy picks, mcpgw learns from upstream.address. */
  readonly knowsEndpoints: boolean;
  /** The pod for a new session: ready, not draining, reachable under every converging endpoint set, fewest live sessions. */
  choosePod(livePerPod: ReadonlyMap<string, number>, now: number): string | undefined;
  /** The affinity header value that makes Envoy route to `host` now (undefined if it cannot). */
  headerValueFor(host: string): string | undefined;
  /** A key for a new session when no pod can be chosen: Envoy picks, the response tells mcpgw which. */
  randomKey(): string;
  /** Whether a session bound to `host` can still be routed there. */
  lossOf(host: string, now: number): PodLoss | undefined;
  isDraining(host: string, now: number): boolean;
  /** A response came from `host`: some Envoy already routes to it. */
  observeServed(host: string): void;
}

/** Per-server pod state; undefined for a server mcpgw does not pin. */
export interface PodDirectory {
  pods(server: string): ServerPods | undefined;
}
