// Shared mode: one child for every session, for stateless stdio servers. Each client session is a
// view with its own Mcp-Session-Id and GET stream; its request ids (and progress tokens) are rewritten
// to ids unique towards the child and mapped back on the way out, so two sessions using id 1 never
// collide. The child's first initialize result is cached and answered to every later initialize.
// 2026-07-28 requests use the same machinery with a view per HTTP request (modern.ts).
import type { Logger } from 'pino';
import type { ChildSpec } from './child.js';
import { BridgeError, classify, idKey } from './jsonrpc.js';
import type { BridgeMetrics, ExitReason } from './metrics.js';
import type { Reply } from './reply.js';
import { Session, type ClientSession, type SessionLimits } from './session.js';
import type { SseStream } from './sse.js';

interface Mapping {
  clientId: string | number;
  clientKey: string;
  clientToken?: string | number;
  initialize: boolean;
}

export type Message = Record<string, unknown>;
const noop = (): void => undefined;

/** The newest session-era revision: what the bridge asks for when it initializes a child itself. */
const BRIDGE_INITIALIZE_VERSION = '2025-11-25';

/** A reply nobody reads over HTTP: the bridge's own request to the child (its initialize). */
class CallbackReply implements Reply {
  readonly streaming = false;
  readonly canCarry = false;
  constructor(private readonly done: (json: string | undefined) => void) {}
  answer(_key: string, json: string): boolean {
    this.done(json);
    return true;
  }
  carry(): boolean {
    return true;
  }
  forget(): void {
    this.done(undefined);
  }
}

export interface ViewOptions {
  /** One HTTP request's view (2026-07-28): its opening and end are logged at debug only. */
  ephemeral?: boolean;
  /** Changes each answer the child gives this view before it goes to the client. */
  decorate?: (answer: Message) => void;
}

/** One POST's reply as the child sees it: internal ids in, the client's ids out. */
class MappedReply implements Reply {
  constructor(
    private readonly inner: Reply,
    private readonly ids: Map<string, Mapping>,
    private readonly done: (m: Mapping, answer?: Message) => void,
  ) {}

  get streaming(): boolean {
    return this.inner.streaming;
  }

  get canCarry(): boolean {
    return this.inner.canCarry;
  }

  answer(key: string, json: string, onDrain: () => void): boolean {
    const m = this.ids.get(key);
    if (!m) return true;
    this.ids.delete(key);
    const msg = JSON.parse(json) as Message;
    msg.id = m.clientId;
    this.done(m, msg);
    return this.inner.answer(m.clientKey, JSON.stringify(msg), onDrain);
  }

  /** Only progress reaches a POST in shared mode: its token goes back to the client's. */
  carry(json: string, onDrain: () => void): boolean {
    const msg = JSON.parse(json) as Message;
    const params = msg.params as Message | undefined;
    const token = params?.progressToken;
    const m = typeof token === 'string' ? this.ids.get(idKey(token)) : undefined;
    if (params && m?.clientToken !== undefined) params.progressToken = m.clientToken;
    return this.inner.carry(JSON.stringify(msg), onDrain);
  }

  forget(key: string): void {
    const m = this.ids.get(key);
    if (!m) return;
    this.ids.delete(key);
    this.done(m);
    this.inner.forget(m.clientKey);
  }
}

/** The one child of a shared-mode bridge, its views, and the cached initialize answer. */
export class SharedChild {
  readonly core: Session;
  private readonly views = new Set<SharedSession>();
  private initAnswer: Message | undefined;
  private initWaiters: Array<(answer: Message) => void> | undefined;
  private initializedSent = false;
  private seq = 0;

  constructor(spec: ChildSpec, private readonly limits: SessionLimits, metrics: BridgeMetrics, private readonly logger: Logger) {
    // The child lives as long as it runs: views have their own idle timeout.
    this.core = new Session('shared', spec, { ...limits, idleTimeoutMs: 0 }, metrics, logger, () =>
      [...this.views].flatMap((v) => v.openStream ?? []),
    );
    // The child's exit ends every session; their next request gets 404.
    void this.core.ended.then(() => Promise.all([...this.views].map((v) => v.end('exited', 'the shared child exited'))));
  }

  open(id: string, options: ViewOptions = {}): SharedSession {
    const view = new SharedSession(id, this, this.limits, this.logger.child({ session: id }), options);
    this.views.add(view);
    void view.ended.then(() => this.views.delete(view));
    return view;
  }

  nextId(): string {
    return `mcpgw-bridge-${++this.seq}`;
  }

  /** True when this initialize is answered (now or once the first one is) without reaching the child. */
  answerInitialize(answer: (a: Message) => void): boolean {
    if (this.initAnswer) answer(this.initAnswer);
    else if (this.initWaiters) this.initWaiters.push(answer);
    else {
      this.initWaiters = [];
      return false;
    }
    return true;
  }

  /** The child's answer to the forwarded initialize: kept when it is a result, given to those waiting. */
  initialized(answer: Message | undefined): void {
    const { jsonrpc: _j, id: _i, ...rest } = answer ?? { error: { code: BridgeError.childExited, message: 'initialize was not answered' } };
    if ('result' in rest) this.initAnswer = rest;
    const waiters = this.initWaiters ?? [];
    this.initWaiters = undefined;
    for (const w of waiters) w(rest);
  }

  /**
   * The child's initialize result, for clients that send no initialize (2026-07-28): the cached one,
   * else the bridge initializes the child itself (as a client with no capabilities: it cannot carry
   * server requests to a client that has no session) and sends `notifications/initialized`.
   */
  initialize(): Promise<Message> {
    return new Promise((resolve) => {
      if (this.answerInitialize(resolve)) return;
      this.initWaiters?.push(resolve);
      const reply = new CallbackReply((json) => {
        const answer = json === undefined ? undefined : (JSON.parse(json) as Message);
        if (answer && 'result' in answer && this.takeInitialized()) this.core.fromClient([{ jsonrpc: '2.0', method: 'notifications/initialized' }], undefined);
        this.initialized(answer);
      });
      const params = { protocolVersion: BRIDGE_INITIALIZE_VERSION, capabilities: {}, clientInfo: { name: 'mcpgw-bridge', version: '1' } };
      this.core.fromClient([{ jsonrpc: '2.0', id: this.nextId(), method: 'initialize', params }], reply);
    });
  }

  /** Only the first session's `notifications/initialized` reaches the child: it was initialized once. */
  takeInitialized(): boolean {
    if (this.initializedSent) return false;
    this.initializedSent = true;
    return true;
  }
}

export class SharedSession implements ClientSession {
  /** Client request key → internal request key, for the requests this session has waiting. */
  private readonly inFlight = new Map<string, string>();
  private getStream: SseStream | undefined;
  private posts = 0;
  private done = false;
  private idleTimer: NodeJS.Timeout | undefined;
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  constructor(
    readonly id: string,
    private readonly shared: SharedChild,
    private readonly limits: SessionLimits,
    private readonly log: Logger,
    private readonly options: ViewOptions = {},
  ) {
    this.ended = new Promise((r) => (this.resolveEnded = r));
    this.log[options.ephemeral ? 'debug' : 'info']('shared session opened');
    this.armIdle();
  }

  get live(): boolean {
    return !this.done && this.shared.core.live;
  }

  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  get openStream(): SseStream | undefined {
    return this.getStream?.isOpen ? this.getStream : undefined;
  }

  get stdinBacklog(): number {
    return this.shared.core.stdinBacklog;
  }

  wouldExceedInFlight(n: number): boolean {
    return this.inFlight.size + n > this.limits.maxInFlight;
  }

  isPending(id: string | number): boolean {
    return this.inFlight.has(idKey(id));
  }

  fromClient(messages: unknown[], reply: Reply | undefined): void {
    const ids = new Map<string, Mapping>();
    const mapped =
      reply &&
      new MappedReply(reply, ids, (m, answer) => {
        this.inFlight.delete(m.clientKey);
        if (answer) this.options.decorate?.(answer);
        if (m.initialize) this.shared.initialized(answer);
        this.armIdle();
      });
    const out: unknown[] = [];
    for (const raw of messages) {
      const c = classify(raw);
      const m = raw as Message;
      const params = (typeof m.params === 'object' && m.params !== null ? m.params : {}) as Message;
      if (c?.kind === 'request' && reply) {
        const clientKey = idKey(c.id);
        const fromCache = (a: Message) => reply.answer(clientKey, JSON.stringify({ jsonrpc: '2.0', id: c.id, ...a }), noop);
        if (c.method === 'initialize' && this.shared.answerInitialize(fromCache)) continue;
        const internal = this.shared.nextId();
        const mapping: Mapping = { clientId: c.id, clientKey, initialize: c.method === 'initialize' };
        let sent: Message = { ...m, id: internal };
        if (c.progressToken !== undefined) {
          mapping.clientToken = c.progressToken;
          sent = { ...sent, params: { ...params, _meta: { ...(params._meta as Message), progressToken: internal } } };
        }
        ids.set(idKey(internal), mapping);
        this.inFlight.set(clientKey, idKey(internal));
        out.push(sent);
      } else if (c?.kind === 'notification' && c.method === 'notifications/initialized') {
        if (this.shared.takeInitialized()) out.push(m);
      } else if (c?.kind === 'notification' && c.cancels !== undefined) {
        const internal = this.inFlight.get(idKey(c.cancels));
        // A cancel for nothing this session has waiting would name another session's request.
        if (internal !== undefined) out.push({ ...m, params: { ...params, requestId: internal.slice(2) } });
      } else out.push(m);
    }
    if (out.length > 0) this.shared.core.fromClient(out, mapped);
    this.armIdle();
  }

  addPostStream(): void {
    this.posts++;
    this.armIdle();
  }

  removePostStream(): void {
    this.posts--;
    this.armIdle();
  }

  hasGetStream(): boolean {
    return this.openStream !== undefined;
  }

  openGetStream(stream: SseStream): void {
    this.getStream = stream;
    this.armIdle();
  }

  getStreamClosed(stream: SseStream): void {
    if (this.getStream === stream) this.getStream = undefined;
    this.armIdle();
  }

  /** Ends this session only: its waiting requests get an error, the child carries on for the others. */
  end(reason: ExitReason, message = 'session ended'): Promise<void> {
    if (this.done) return this.ended;
    this.done = true;
    clearTimeout(this.idleTimer);
    this.shared.core.abandon([...this.inFlight.values()], BridgeError.childExited, `MCP session ended (${message})`);
    this.getStream?.end();
    this.getStream = undefined;
    this.log[this.options.ephemeral ? 'debug' : 'info']({ reason }, 'shared session ended');
    this.resolveEnded();
    return this.ended;
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.done || this.limits.idleTimeoutMs <= 0 || this.busy || this.hasGetStream() || this.posts > 0) return;
    this.idleTimer = setTimeout(() => void this.end('idle', 'idle timeout'), this.limits.idleTimeoutMs);
    this.idleTimer.unref();
  }
}
