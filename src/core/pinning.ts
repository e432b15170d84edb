// Session pinning: which affinity header value a request carries, and what its response teaches us
// (ARCHITECTURE.md, "Sessions and pod pinning"). Every lost session is a 404, never another pod.
import { LRUCache } from 'lru-cache';
import type { Clock } from './clock.js';
import type { HeaderToSet } from './header.js';
import type { HttpRequestView } from './request.js';
import {
  ErrorCode,
  EndpointEventReader,
  createdTaskId,
  legacySessionIdOfPath,
  refusal,
  saysSessionNotFound,
  type McpMessage,
  type McpRefusal,
  type Revision,
} from '../mcp/index.js';
import {
  MAX_HANDSHAKE_CHARS,
  isStoreUnavailable,
  isValidSessionId,
  type PodDirectory,
  type RecoveryLock,
  type ServerPods,
  type SessionBinding,
  type SessionEndReason,
  type SessionHandshake,
  type SessionKind,
  type SessionRegistry,
} from './sessionPorts.js';

export interface PinningEvents {
  created(binding: SessionBinding): void;
  ended(server: string, reason: SessionEndReason): void;
  /** The pod that served a new session was not the one mcpgw chose. */
  corrected(server: string): void;
  /** Another pod than the session's own answered one of its requests (an Envoy with another endpoint set). */
  misrouted(server: string, reason: MisrouteReason): void;
  /** The store could not answer and the configured policy was applied. */
  storeUnavailable(op: string, policy: 'fail-closed' | 'fail-open'): void;
  /** A session recovery ended: `result` is ok or why it failed; `seconds` is the handshake's time when one ran. */
  recovered(server: string, trigger: RecoveryTrigger, result: RecoveryResult, seconds?: number, detail?: string): void;
}

/** What made mcpgw move a session: its pod left, its drain deadline passed, it drains, or the pod lost it. */
export type RecoveryTrigger = 'pod_gone' | 'drain_expired' | 'draining' | 'upstream_lost';
export type RecoveryResult = 'ok' | 'not_recorded' | 'limit' | 'no_pod' | 'timeout' | 'handshake_error' | 'store_unavailable';

export interface RecoverySettings {
  mode: 'off' | 'reinitialize';
  maxPerSession: number;
  handshakeTimeoutSeconds: number;
}

export interface PinningDeps {
  registry: SessionRegistry;
  pods: PodDirectory;
  whenUnavailable: 'fail-closed' | 'fail-open';
  events: PinningEvents;
  /** Session recovery (servers with recovery.mode reinitialize): the handshake replay and its lock. */
  handshake?: SessionHandshake;
  recoveryLock?: RecoveryLock;
  now?: Clock;
}

export interface PinnedServer {
  name: string;
  affinityHeader: string;
  mode: 'hash' | 'address';
  recovery?: RecoverySettings;
}

/** What replaying the handshake on another pod needs from the request that triggers it. */
interface ReplayContext {
  server: PinnedServer;
  authority: string;
  path: string;
  /** Identity and credential headers mcpgw injects towards the pod. */
  headers: readonly HeaderToSet[];
  /** The request being recovered is notifications/initialized itself: the replay must not send it twice. */
  isInitializedNote: boolean;
}

/**
 * Why a session's request was answered by another pod: it said it does not know the session (the
 * client gets a retriable 503 and keeps its session), or it answered anyway (passed through).
 */
export type MisrouteReason = 'session_not_found' | 'answered';

/** What the response phase must do for one request. */
export type PinPlan =
  | { kind: 'none'; server?: string }
  | { kind: 'new'; server: string; sessionKind: 'streamable' | 'legacy-sse'; intendedPod?: string; affinityKey?: string; principal?: string; revision: string; handshake?: string }
  | { kind: 'bound'; binding: SessionBinding; deleting: boolean; requestId: McpMessage['id']; replay?: ReplayContext }
  | { kind: 'task'; server: string; principal?: string; revision: string };

export interface PinRequest {
  server: PinnedServer;
  view: HttpRequestView;
  revision: Revision;
  messages: readonly McpMessage[];
  principal?: string;
  /** Headers mcpgw injects towards the pod (identity, credentials): a replayed handshake carries them too (copied only then). */
  upstreamHeaders?: readonly HeaderToSet[];
}

/** `sessionId`: the pod's id for a recovered session, to write over the client's on the way up. */
export type PinResult = { affinity?: HeaderToSet; sessionId?: HeaderToSet; plan: PinPlan } | { refusal: McpRefusal; retryAfter?: number };

export interface ResponseView {
  status: number;
  header(name: string): string | undefined;
  /** The `upstream.address` response attribute: the pod that actually served the request. */
  upstreamAddress?: string;
}

/** How much of a response body must be seen at once: `whole` (a JSON result or error to read), or `chunks` as they pass (SSE, long streams). */
export type BodyRead = 'whole' | 'chunks';

/** What pinning makes of a response: let it pass (reading its body first when only the body can tell), or replace it. */
export type ResponseStep =
  | { kind: 'continue'; readBody?: BodyRead; setHeaders?: HeaderToSet[] }
  | { kind: 'replace'; refusal: McpRefusal; retryAfter?: number };

const RETRY_AFTER_SECONDS = 5;
/** A lagging Envoy catches up within the convergence window; a short wait lets most retries succeed. */
const MISROUTE_RETRY_AFTER_SECONDS = 1;
const NO_PLAN: PinPlan = { kind: 'none' };
/** A session the pod lost but mcpgw re-established elsewhere: the client's retry reaches the new pod. */
const RECOVERED_RETRY_AFTER_SECONDS = 1;
const DRAIN_MOVE_RETRY_MS = 30_000;

/** One recovery per session: the key of its in-process join, its lock and its failed-drain-move mark. */
function recoveryKey(b: SessionBinding): string {
  return `${b.server} ${b.id}`;
}

/** The client's initialize params, to replay on another pod; not kept when unusually large. */
function recordedHandshake(messages: readonly McpMessage[]): string | undefined {
  const [init] = messages;
  if (messages.length !== 1 || init?.method !== 'initialize' || !init.params) return undefined;
  const json = JSON.stringify(init.params);
  return json.length <= MAX_HANDSHAKE_CHARS ? json : undefined;
}

function sessionNotFound(id: McpMessage['id'] = null): McpRefusal {
  return refusal(404, ErrorCode.sessionNotFound, 'Session not found', 'session_not_found', id ?? null);
}

function misroutedRefusal(id: McpMessage['id']): ResponseStep {
  const message = "The session's pod was not reached: the proxy's endpoint view is still converging; retry shortly";
  return { kind: 'replace', refusal: refusal(503, ErrorCode.unavailable, message, 'session_misrouted', id ?? null), retryAfter: MISROUTE_RETRY_AFTER_SECONDS };
}

/** The pod that answered is not the session's own (known only when Envoy reports upstream.address). */
function misrouted(b: SessionBinding, res: ResponseView): boolean {
  return res.upstreamAddress !== undefined && res.upstreamAddress !== b.pod;
}

export class SessionPinning {
  private readonly now: Clock;
  /** Recoveries under way in this process: concurrent requests of one session join the same one. */
  private readonly recovering = new Map<string, Promise<SessionBinding | undefined>>();
  /**
   * Sessions of draining pods whose move just failed: they keep routing to their pod, and are not
   * retried on every request (each try costs a handshake). Bounded; an entry lapses after a while.
   */
  private readonly drainMoveFailed = new LRUCache<string, true>({ max: 10_000, ttl: DRAIN_MOVE_RETRY_MS });

  constructor(private readonly deps: PinningDeps) {
    this.now = deps.now ?? Date.now;
  }

  // ---- request phase ------------------------------------------------------------------------

  async pinRequest(r: PinRequest): Promise<PinResult> {
    const pods = this.deps.pods.pods(r.server.name);
    if (!pods) return { plan: NO_PLAN };
    const [only] = r.messages;
    const single = r.messages.length === 1 ? only : undefined;
    const requestId = single?.id ?? null;

    const none: PinPlan = { kind: 'none', server: r.server.name };
    // 2026-07-28 is stateless: only tasks are pinned, by the task id in Mcp-Name.
    if (r.revision.requiresMirroredHeaders) {
      if (single?.nameKind === 'task' && single.name) return this.followTask(r, pods, single.name, none);
      if (single?.method === 'tools/call' && single.params && typeof single.params.task === 'object') {
        return { plan: { kind: 'task', server: r.server.name, ...(r.principal ? { principal: r.principal } : {}), revision: r.revision.value } };
      }
      return { plan: none };
    }

    const headerId = r.view.header('mcp-session-id');
    const legacyId = headerId === undefined && r.view.method === 'POST' ? legacySessionIdOfPath(r.view.path) : undefined;
    const id = headerId ?? legacyId;
    if (id !== undefined) return this.follow(r, pods, id, legacyId !== undefined ? 'legacy-sse' : 'streamable', requestId);

    const opensLegacyStream = r.view.method === 'GET' && (r.view.header('accept') ?? '').includes('text/event-stream');
    if (single?.method === 'initialize' || opensLegacyStream) return this.begin(r, pods, opensLegacyStream ? 'legacy-sse' : 'streamable', requestId);
    return { plan: none };
  }

  private async begin(r: PinRequest, pods: ServerPods, sessionKind: 'streamable' | 'legacy-sse', requestId: McpMessage['id']): Promise<PinResult> {
    const handshake = sessionKind === 'streamable' && r.server.recovery?.mode === 'reinitialize' ? recordedHandshake(r.messages) : undefined;
    const base = { kind: 'new' as const, server: r.server.name, sessionKind, revision: r.revision.value, ...(r.principal ? { principal: r.principal } : {}), ...(handshake ? { handshake } : {}) };
    if (!pods.knowsEndpoints) {
      // Envoy picks the pod; the response's upstream.address tells us which.
      if (r.server.mode === 'address') return { plan: base };
      const key = pods.randomKey();
      return { affinity: { name: r.server.affinityHeader, value: key }, plan: { ...base, affinityKey: key } };
    }
    let live: Map<string, number>;
    try {
      live = await this.deps.registry.livePerPod(r.server.name);
    } catch (err) {
      const closed = this.unavailable(err, 'sessions.livePerPod', requestId);
      if (closed) return closed;
      live = new Map();
    }
    const pod = pods.choosePod(live, this.now());
    const value = pod && pods.headerValueFor(pod);
    if (!pod || !value) {
      return { refusal: refusal(503, ErrorCode.unavailable, 'No MCP server pod can take a new session right now', 'no_pod', requestId), retryAfter: RETRY_AFTER_SECONDS };
    }
    return { affinity: { name: r.server.affinityHeader, value }, plan: { ...base, intendedPod: pod } };
  }

  private async follow(r: PinRequest, pods: ServerPods, id: string, kind: SessionKind, requestId: McpMessage['id']): Promise<PinResult> {
    if (!isValidSessionId(id)) return { refusal: sessionNotFound(requestId) };
    let binding: SessionBinding | undefined;
    try {
      binding = await this.deps.registry.get(r.server.name, id);
    } catch (err) {
      // fail-open: Envoy balances the request as if it had no session; the pod decides.
      return this.unavailable(err, 'sessions.get', requestId) ?? { plan: NO_PLAN };
    }
    // Another principal's session is indistinguishable from an unknown one.
    if (!binding || binding.kind !== kind || binding.principal !== r.principal) return { refusal: sessionNotFound(requestId) };
    const replay = r.server.recovery?.mode === 'reinitialize' && kind === 'streamable' ? this.replayContext(r) : undefined;
    if (replay && pods.knowsEndpoints) {
      const trigger = this.recoveryTrigger(pods, binding);
      const key = recoveryKey(binding);
      // A DELETE ends the session: nothing to move.
      if (trigger && r.view.method !== 'DELETE' && !(trigger === 'draining' && this.drainMoveFailed.has(key))) {
        const moved = await this.recover(replay, pods, binding, trigger);
        if (moved) binding = moved;
        else if (trigger === 'draining') this.drainMoveFailed.set(key, true);
      }
    }
    const value = this.headerValueFor(r.server, pods, binding);
    if (value === undefined) return { refusal: sessionNotFound(requestId) };
    void this.deps.registry.touch(binding, this.now()).catch(() => undefined);
    return {
      affinity: { name: r.server.affinityHeader, value },
      ...(binding.upstreamId ? { sessionId: { name: 'mcp-session-id', value: binding.upstreamId } } : {}),
      plan: { kind: 'bound', binding, deleting: r.view.method === 'DELETE', requestId, ...(replay ? { replay } : {}) },
    };
  }

  private replayContext(r: PinRequest): ReplayContext {
    return {
      server: r.server,
      authority: r.view.authority,
      path: r.view.path.split('?', 1)[0] ?? '/',
      // A snapshot: the request's own header list grows after pinning (affinity, trace headers).
      headers: [...(r.upstreamHeaders ?? [])],
      isInitializedNote: r.messages.length === 1 && r.messages[0]?.method === 'notifications/initialized',
    };
  }

  /** Why a bound session should move now (recovery on), if it should. */
  private recoveryTrigger(pods: ServerPods, b: SessionBinding): RecoveryTrigger | undefined {
    const now = this.now();
    const loss = pods.lossOf(b.pod, now);
    if (loss) return loss;
    // Draining becomes a migration: the session moves at its next request, well before the deadline.
    return pods.isDraining(b.pod, now) ? 'draining' : undefined;
  }

  /**
   * Re-establishes the session on another pod (docs/operations.md, "Session recovery"): one recovery
   * per session at a time in this process, and across replicas through the recovery lock.
   * Returns the moved binding, or undefined when it could not be moved.
   */
  private recover(replay: ReplayContext, pods: ServerPods, b: SessionBinding, trigger: RecoveryTrigger): Promise<SessionBinding | undefined> {
    const key = recoveryKey(b);
    let pending = this.recovering.get(key);
    if (!pending) {
      pending = this.recoverOnce(replay, pods, b, trigger, key).finally(() => this.recovering.delete(key));
      this.recovering.set(key, pending);
    }
    return pending;
  }

  private async recoverOnce(replay: ReplayContext, pods: ServerPods, b: SessionBinding, trigger: RecoveryTrigger, key: string): Promise<SessionBinding | undefined> {
    const settings = replay.server.recovery!;
    const { handshake, recoveryLock } = this.deps;
    const failed = (result: RecoveryResult, seconds?: number, detail?: string) => {
      this.deps.events.recovered(b.server, trigger, result, seconds, detail);
      return undefined;
    };
    if (!handshake || !recoveryLock || !b.handshake) return failed('not_recorded');
    if ((b.recoveries ?? 0) >= settings.maxPerSession) return failed('limit');
    const timeoutMs = settings.handshakeTimeoutSeconds * 1000;
    try {
      if (!(await recoveryLock.tryAcquire(key, 2 * timeoutMs))) return (await this.movedElsewhere(pods, b, 2 * timeoutMs)) ?? failed('timeout');
      try {
        // Another replica may have moved it just before this one took the lock.
        const current = await this.deps.registry.get(b.server, b.id);
        if (!current) return failed('not_recorded');
        if (current.pod !== b.pod && !this.recoveryTrigger(pods, current)) return current;
        const pod = pods.choosePod(await this.deps.registry.livePerPod(b.server), this.now());
        if (!pod) return failed('no_pod');
        const target = { pod, path: replay.path, authority: replay.authority, revision: current.revision, headers: replay.headers, timeoutMs };
        const started = process.hrtime.bigint();
        const opened = await handshake.open({ ...target, params: current.handshake ?? b.handshake, sendInitialized: !replay.isInitializedNote });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (!opened.ok) return failed(opened.reason, seconds, opened.detail);
        const moved: SessionBinding = { ...current, pod, recoveries: (current.recoveries ?? 0) + 1, lastSeenAt: this.now() };
        if (opened.upstreamId !== current.id) moved.upstreamId = opened.upstreamId;
        else delete moved.upstreamId;
        await this.deps.registry.put(moved);
        // The old pod, when it still runs (a drain), forgets its copy now rather than at its idle timeout.
        if (trigger === 'draining') void handshake.close({ ...target, pod: current.pod }, current.upstreamId ?? current.id);
        this.deps.events.recovered(b.server, trigger, 'ok', seconds);
        return moved;
      } finally {
        await recoveryLock.release(key);
      }
    } catch (err) {
      if (isStoreUnavailable(err)) return failed('store_unavailable');
      throw err;
    }
  }

  /** Waits for the replica holding the lock to write the moved binding. */
  private async movedElsewhere(pods: ServerPods, b: SessionBinding, timeoutMs: number): Promise<SessionBinding | undefined> {
    const deadline = this.now() + timeoutMs;
    while (this.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      const current = await this.deps.registry.get(b.server, b.id);
      if (!current) return undefined;
      if (current.pod !== b.pod && !this.recoveryTrigger(pods, current)) return current;
    }
    return undefined;
  }

  private async followTask(r: PinRequest, pods: ServerPods, taskId: string, none: PinPlan): Promise<PinResult> {
    if (!isValidSessionId(taskId)) return { plan: none };
    const binding = await this.deps.registry.get(r.server.name, taskId).catch(() => undefined);
    // An unknown task is the server's to answer (404 means "method not found" in this era, not "re-initialize").
    if (!binding || binding.kind !== 'task' || binding.principal !== r.principal) return { plan: none };
    const value = this.headerValueFor(r.server, pods, binding);
    return value === undefined ? { plan: none } : { affinity: { name: r.server.affinityHeader, value }, plan: none };
  }

  /** The header value that lands on the binding's pod now; undefined (and the binding dropped) if it cannot. */
  private headerValueFor(server: PinnedServer, pods: ServerPods, b: SessionBinding): string | undefined {
    // Address mode names the pod itself, so it needs no endpoint knowledge.
    if (!pods.knowsEndpoints) return server.mode === 'address' ? pods.headerValueFor(b.pod) : b.affinityKey;
    const loss = pods.lossOf(b.pod, this.now());
    const value = loss ? undefined : pods.headerValueFor(b.pod);
    if (value === undefined) this.end(b, 'pod_gone');
    return value;
  }

  private unavailable(err: unknown, op: string, requestId: McpMessage['id']): PinResult | undefined {
    if (!isStoreUnavailable(err)) throw err;
    this.deps.events.storeUnavailable(op, this.deps.whenUnavailable);
    if (this.deps.whenUnavailable === 'fail-open') return undefined;
    return { refusal: refusal(503, ErrorCode.unavailable, 'Session store unavailable; retry shortly', 'store_unavailable', requestId), retryAfter: RETRY_AFTER_SECONDS };
  }

  private end(b: SessionBinding, reason: Exclude<SessionEndReason, 'expired'>): void {
    void this.deps.registry.delete(b.server, b.id, reason).then(
      (removed) => removed && this.deps.events.ended(b.server, reason),
      () => undefined,
    );
  }

  // ---- response phase -----------------------------------------------------------------------

  async onResponseHeaders(plan: PinPlan, res: ResponseView): Promise<ResponseStep> {
    const ok = res.status >= 200 && res.status < 300;
    const server = plan.kind === 'bound' ? plan.binding.server : plan.server;
    if (server !== undefined && res.upstreamAddress !== undefined) this.deps.pods.pods(server)?.observeServed(res.upstreamAddress);
    switch (plan.kind) {
      case 'none':
        return { kind: 'continue' };
      case 'new':
        if (!ok) return { kind: 'continue' };
        if (plan.sessionKind === 'legacy-sse') {
          return (res.header('content-type') ?? '').includes('text/event-stream') ? { kind: 'continue', readBody: 'chunks' } : { kind: 'continue' };
        }
        return this.bind(plan, res.header('mcp-session-id'), res);
      case 'bound':
        // Only the session's own pod can say its session is gone; another pod's word is a lagging
        // Envoy's misroute, and the session must survive it (docs/operations.md, "Convergence").
        if (misrouted(plan.binding, res)) {
          if (res.status === 400) return { kind: 'continue', readBody: 'whole' };
          return this.misroute(plan, res.status === 404 ? 'session_not_found' : 'answered');
        }
        if (res.status === 404) return this.lostOnItsPod(plan, false);
        if (res.status === 400) return { kind: 'continue', readBody: 'whole' };
        if (plan.deleting && ok) this.end(plan.binding, 'deleted');
        // A recovered session: the client keeps seeing its own id.
        if (plan.binding.upstreamId && res.header('mcp-session-id') !== undefined) return { kind: 'continue', setHeaders: [{ name: 'mcp-session-id', value: plan.binding.id }] };
        return { kind: 'continue' };
      case 'task':
        return ok ? { kind: 'continue', readBody: 'whole' } : { kind: 'continue' };
    }
  }

  /** Per-stream reader for a response body mcpgw asked to see. */
  bodyReader(plan: PinPlan, res: ResponseView): (chunk: Uint8Array, endOfStream: boolean) => Promise<ResponseStep> {
    if (plan.kind === 'new' && plan.sessionKind === 'legacy-sse') {
      const reader = new EndpointEventReader();
      let done = false;
      return async (chunk) => {
        if (done) return { kind: 'continue' };
        const id = reader.push(chunk);
        if (id === undefined) return { kind: 'continue' };
        done = true;
        return id === null ? { kind: 'continue' } : this.bind(plan, id, res);
      };
    }
    const parts: Uint8Array[] = [];
    return async (chunk, endOfStream) => {
      parts.push(chunk);
      if (!endOfStream) return { kind: 'continue' };
      const body = Buffer.concat(parts);
      const contentType = res.header('content-type');
      if (plan.kind === 'bound' && misrouted(plan.binding, res)) return this.misroute(plan, saysSessionNotFound(body, contentType) ? 'session_not_found' : 'answered');
      if (plan.kind === 'bound' && saysSessionNotFound(body, contentType)) return this.lostOnItsPod(plan, true);
      if (plan.kind === 'task') {
        const taskId = createdTaskId(body, contentType);
        if (taskId) return this.bind({ kind: 'new', server: plan.server, sessionKind: 'streamable', revision: plan.revision, ...(plan.principal ? { principal: plan.principal } : {}) }, taskId, res, 'task');
      }
      return { kind: 'continue' };
    };
  }

  /**
   * The session's own pod says it does not know the session. With recovery on, mcpgw re-establishes it
   * on a pod and asks the client to retry (the request already went to the old pod); otherwise, or if
   * that fails, the session ends with the spec's 404.
   */
  private async lostOnItsPod(plan: Extract<PinPlan, { kind: 'bound' }>, replaceBody: boolean): Promise<ResponseStep> {
    const pods = this.deps.pods.pods(plan.binding.server);
    if (plan.replay && pods?.knowsEndpoints && (await this.recover(plan.replay, pods, plan.binding, 'upstream_lost'))) {
      const message = "The session's pod lost it; mcpgw re-established it on another pod: retry the request";
      return { kind: 'replace', refusal: refusal(503, ErrorCode.unavailable, message, 'session_recovered', plan.requestId ?? null), retryAfter: RECOVERED_RETRY_AFTER_SECONDS };
    }
    this.end(plan.binding, 'upstream_lost');
    return replaceBody ? { kind: 'replace', refusal: sessionNotFound() } : { kind: 'continue' };
  }

  private misroute(plan: Extract<PinPlan, { kind: 'bound' }>, reason: MisrouteReason): ResponseStep {
    this.deps.events.misrouted(plan.binding.server, reason);
    return reason === 'session_not_found' ? misroutedRefusal(plan.requestId) : { kind: 'continue' };
  }

  /**
   * Records the binding before the response reaches the client, so the client's next request finds it
   * on any replica. Trusts the pod that actually served (upstream.address) over the intended one.
   */
  private async bind(plan: Extract<PinPlan, { kind: 'new' }>, id: string | undefined, res: ResponseView, kind: SessionKind = plan.sessionKind): Promise<ResponseStep> {
    if (id === undefined || !isValidSessionId(id)) return { kind: 'continue' };
    const actual = res.upstreamAddress;
    if (actual && plan.intendedPod && actual !== plan.intendedPod) this.deps.events.corrected(plan.server);
    const pod = actual ?? plan.intendedPod;
    if (!pod && !plan.affinityKey) return { kind: 'continue' };
    const now = this.now();
    const binding: SessionBinding = {
      id,
      server: plan.server,
      kind,
      pod: pod ?? 'unknown',
      revision: plan.revision,
      createdAt: now,
      lastSeenAt: now,
      ...(plan.affinityKey ? { affinityKey: plan.affinityKey } : {}),
      ...(plan.principal ? { principal: plan.principal } : {}),
      ...(plan.handshake && kind === 'streamable' ? { handshake: plan.handshake } : {}),
    };
    try {
      await this.deps.registry.put(binding);
      this.deps.events.created(binding);
      return { kind: 'continue' };
    } catch (err) {
      const closed = this.unavailable(err, 'sessions.put', null);
      return closed && 'refusal' in closed ? { kind: 'replace', refusal: closed.refusal, retryAfter: RETRY_AFTER_SECONDS } : { kind: 'continue' };
    }
  }
}
